# Glasfaserportal: the two commands a user needs are `make run` and `make test`.
# Both install what is missing, start the project-local PostGIS (unless
# DATABASE_URL is set) and are safe to run again.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PORT ?= 8000
export PORT

.PHONY: help run setup test lint db-start db-stop db-status psql bench clean-db

help:
	@echo "make run      set everything up, load the city's data, serve on http://127.0.0.1:$(PORT)"
	@echo "make test     set everything up and run all checks and tests"
	@echo "make setup    like run, without serving"
	@echo "make db-stop  stop the local PostgreSQL (data stays in var/pg)"
	@echo "make psql     open psql on the database"
	@echo "make bench    benchmarks against stand-alone pygeoapi, raw SQL and ogr2ogr (bench/README.md)"

setup:
	@bash scripts/run.sh setup

run:
	@bash scripts/run.sh serve

test:
	@bash scripts/run.sh test $(PYTEST_ARGS)

lint:
	@bash scripts/run.sh lint

db-start:
	@bash scripts/localdb.sh start

db-stop:
	@bash scripts/localdb.sh stop

db-status:
	@bash scripts/localdb.sh status

psql:
	@bash scripts/localdb.sh psql

# Benchmarks against peers in the same run (stand-alone pygeoapi, raw SQL, ogr2ogr); see bench/README.md.
bench:
	@bash bench/run.sh
