"""labels.name_key: one label whatever the case, accents or spaces of its name

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07

« PPI » and « ppi », « États généraux » and « états généraux » are one label. The key is
computed in Python (pst_data.rules.text.label_key): SQLite's lower() knows ASCII only, so a
comparison in SQL gave two labels on SQLite and one on PostgreSQL. Labels already spelt two
ways are merged into the oldest: its actions get it, the others are removed.
"""

import unicodedata

from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def label_key(name: str) -> str:
    # A copy of pst_data.rules.text.label_key as it was when this migration was written: a migration
    # must not change when the application's code does.
    text = unicodedata.normalize("NFKD", " ".join(name.split()).casefold())
    return "".join(c for c in text if not unicodedata.combining(c))


def upgrade() -> None:
    with op.batch_alter_table('labels') as batch:
        batch.add_column(sa.Column('name_key', sa.String(length=320), nullable=True))
    conn = op.get_bind()
    kept: dict[str, int] = {}
    for label_id, name in conn.execute(sa.text("SELECT id, name FROM labels ORDER BY id")).all():
        key = label_key(name)
        if key not in kept:
            kept[key] = label_id
            conn.execute(sa.text("UPDATE labels SET name_key = :key WHERE id = :id"), {"key": key, "id": label_id})
            continue
        first = kept[key]
        conn.execute(sa.text(
            "INSERT INTO action_labels (action_id, label_id) SELECT action_id, :first FROM action_labels "
            "WHERE label_id = :id AND action_id NOT IN (SELECT action_id FROM action_labels WHERE label_id = :first)"),
            {"first": first, "id": label_id})
        conn.execute(sa.text("DELETE FROM action_labels WHERE label_id = :id"), {"id": label_id})
        conn.execute(sa.text("DELETE FROM labels WHERE id = :id"), {"id": label_id})
    with op.batch_alter_table('labels') as batch:
        batch.alter_column('name_key', existing_type=sa.String(length=320), nullable=False)
        batch.create_unique_constraint(op.f('uq_labels_name_key'), ['name_key'])


def downgrade() -> None:
    with op.batch_alter_table('labels') as batch:
        batch.drop_constraint(op.f('uq_labels_name_key'), type_='unique')
        batch.drop_column('name_key')
