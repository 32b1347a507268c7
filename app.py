"""Entry point.

``python app.py [--host H] [--port P]`` upgrades the schema, seeds the working
groups and serves the platform with gunicorn (one process, threads; the same
server as production). ``flask --app app emisa ...`` runs the operator commands,
and ``gunicorn -c config/gunicorn.conf.py app:app`` serves production.
"""

from __future__ import annotations

import argparse

from emisa import create_app

app = create_app()


def main() -> None:
    from gunicorn.app.base import BaseApplication

    from emisa.platform import prepare_platform

    parser = argparse.ArgumentParser(description="Serve the EMISA platform.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--threads", type=int, default=64)
    args = parser.parse_args()
    prepare_platform(app)

    class EmbeddedServer(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"{args.host}:{args.port}")
            self.cfg.set("workers", 1)
            self.cfg.set("worker_class", "emisa.serving.EmisaThreadWorker")
            self.cfg.set("threads", args.threads)
            # WebSocket connections of live meetings stay open far longer than a request.
            self.cfg.set("timeout", 0)
            self.cfg.set("accesslog", "-")
            self.cfg.set("logger_class", "emisa.accesslog.RedactingLogger")
            # Blobs, keys and database files are the owner's alone (gunicorn's default is 0).
            self.cfg.set("umask", 0o077)

        def load(self):
            return app

    print(f"EMISA is serving on http://{args.host}:{args.port}", flush=True)
    EmbeddedServer().run()


if __name__ == "__main__":
    main()
