"""Testing support for aksara applications: a pytest plugin with database, mail and media fixtures."""
