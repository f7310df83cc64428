-- bench/batch_parts variant: the schema as migrated (the reference the other variants are measured against).
\ir ../restore.sql
