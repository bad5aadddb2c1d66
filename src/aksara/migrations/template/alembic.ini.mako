# Alembic configuration for an aksara application.

[alembic]
# The migrations (env.py and versions/), relative to this file.
script_location = ${script_location}

# The modules that define your models, comma-separated ("blog.models, shop.models").
# AKSARA_MODELS in the environment takes precedence.
aksara_models =

# Migration files are named by date, revision and message.
file_template = %%(year)d_%%(month).2d_%%(day).2d_%%(hour).2d%%(minute).2d-%%(rev)s_%%(slug)s

# This directory is put on sys.path, so your models import from it.
prepend_sys_path = .
path_separator = os

# The database: AKSARA_DATABASE_URL (or aksara's database_url setting), else the embedded
# PostgreSQL that aksara.connect() starts in development. A URL here takes precedence;
# keep passwords out of it.
# sqlalchemy.url = postgresql://app@localhost/app

[post_write_hooks]

[loggers]
keys = root,sqlalchemy,alembic

[handlers]
keys = console

[formatters]
keys = generic

[logger_root]
level = WARNING
handlers = console
qualname =

[logger_sqlalchemy]
level = WARNING
handlers =
qualname = sqlalchemy.engine

[logger_alembic]
level = INFO
handlers =
qualname = alembic

[handler_console]
class = StreamHandler
args = (sys.stderr,)
level = NOTSET
formatter = generic

[formatter_generic]
format = %(levelname)-5.5s [%(name)s] %(message)s
datefmt = %H:%M:%S
