-- The publication the engine reads: exactly the captured tables. Created here, by the table owner,
-- so that the capture role needs no ownership (the engine runs with publication.autocreate.mode=disabled).
-- Idempotent: safe to apply on every start.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = 'pgcdc_pub') THEN
        CREATE PUBLICATION pgcdc_pub FOR TABLE transactions;
    END IF;
END
$$;
