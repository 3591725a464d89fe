-- A least-privilege role for capture: LOGIN REPLICATION, SELECT on the captured tables, USAGE on their
-- schema, CONNECT on the database; not a superuser, owns nothing.
-- Its password comes from the setting pgcdc.capture_password when it is set (for instance
-- PGOPTIONS='-c pgcdc.capture_password=...' for psql); otherwise set one with
--   ALTER ROLE pgcdc_capture PASSWORD '...';
-- Idempotent: safe to apply on every start.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pgcdc_capture') THEN
        CREATE ROLE pgcdc_capture LOGIN REPLICATION;
    END IF;
END
$$;

ALTER ROLE pgcdc_capture NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS LOGIN REPLICATION;
GRANT USAGE ON SCHEMA public TO pgcdc_capture;
GRANT SELECT ON transactions TO pgcdc_capture;

DO $$
DECLARE
    password text := current_setting('pgcdc.capture_password', true);
BEGIN
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO pgcdc_capture', current_database());
    IF password IS NOT NULL AND password <> '' THEN
        -- %L quotes the value server-side: the password is data, never spliced into SQL text by a client.
        EXECUTE format('ALTER ROLE pgcdc_capture PASSWORD %L', password);
    END IF;
END
$$;
