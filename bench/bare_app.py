"""The baseline: bare Flask + Flask-SQLAlchemy doing one SELECT on the same SQLite database."""

import os

from flask import Flask, jsonify
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import text

app = Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
db = SQLAlchemy(app)


@app.get("/bare")
def bare():
    row = db.session.execute(text("SELECT id, name FROM working_groups LIMIT 1")).one()
    return jsonify({"id": row.id, "name": row.name})
