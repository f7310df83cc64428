-- bench/batch_parts variant: the schema as migrated; the statement changed by statement.py.
\ir ../restore.sql
