-- Audit columns and triggers of the original design, fixed: who changed a row, when, and what.
--   modified_by, modified_at  set by record_change_user() before every UPDATE;
--   change_info JSONB         set by record_changed_columns() before every UPDATE:
--     {"amount": {"old": 12.50, "new": 99.99}, "modified_by": "app", "modified_at": "2026-11-25T13:45:12.123456"}
--     with one {"old", "new"} entry per tracked column that changed (the trigger's arguments name them).
-- Idempotent: safe to apply on every start.

ALTER TABLE transactions ADD COLUMN IF NOT EXISTS modified_by TEXT;
ALTER TABLE transactions ADD COLUMN IF NOT EXISTS modified_at TIMESTAMP;
ALTER TABLE transactions ADD COLUMN IF NOT EXISTS change_info JSONB;

CREATE OR REPLACE FUNCTION record_change_user() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.modified_by := current_user;
    NEW.modified_at := clock_timestamp();
    RETURN NEW;
END
$$;

-- The original passed an odd number of arguments to jsonb_build_object (a key without its value) and
-- failed on the first UPDATE; this version builds the object pair by pair.
CREATE OR REPLACE FUNCTION record_changed_columns() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    old_row jsonb := to_jsonb(OLD);
    new_row jsonb := to_jsonb(NEW);
    info    jsonb := '{}'::jsonb;
    col     text;
BEGIN
    FOREACH col IN ARRAY TG_ARGV LOOP
        IF old_row -> col IS DISTINCT FROM new_row -> col THEN
            info := info || jsonb_build_object(col, jsonb_build_object('old', old_row -> col, 'new', new_row -> col));
        END IF;
    END LOOP;
    NEW.change_info := info || jsonb_build_object('modified_by', current_user, 'modified_at', clock_timestamp()::timestamp);
    RETURN NEW;
END
$$;

DROP TRIGGER IF EXISTS trigger_record_user_update ON transactions;
CREATE TRIGGER trigger_record_user_update
    BEFORE UPDATE ON transactions
    FOR EACH ROW EXECUTE FUNCTION record_change_user();

DROP TRIGGER IF EXISTS trigger_record_change_info ON transactions;
CREATE TRIGGER trigger_record_change_info
    BEFORE UPDATE ON transactions
    FOR EACH ROW EXECUTE FUNCTION record_changed_columns(
        'amount', 'currency', 'city', 'country', 'merchant_name', 'payment_method', 'voucher_code');
