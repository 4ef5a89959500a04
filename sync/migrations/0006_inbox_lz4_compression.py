"""Compress stored webhook bodies with lz4 instead of pglz: several times cheaper in CPU on every insert.
Servers built without lz4 keep pglz (the statement is skipped)."""

from django.db import migrations

FORWARD = """
DO $$
BEGIN
    ALTER TABLE sync_inboundevent ALTER COLUMN raw_body SET COMPRESSION lz4,
                                  ALTER COLUMN payload SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
    RAISE NOTICE 'lz4 is not available; stored bodies keep pglz compression';
END
$$;
"""

BACKWARD = """
ALTER TABLE sync_inboundevent ALTER COLUMN raw_body SET COMPRESSION DEFAULT,
                              ALTER COLUMN payload SET COMPRESSION DEFAULT;
"""


class Migration(migrations.Migration):
    dependencies = [("sync", "0005_lean_indexes_for_ingest")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
