"""history of every write: entity, entity_id and payload; versions of objectives

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

Structure changes (OS, OO), labels and snapshots are recorded in the history like action
fields: ``entity`` says what a row is about, ``entity_id`` which one, ``payload`` keeps a deleted
element whole so that undo can bring it back. OS and OO get a version (no lost update on a
rename or a delete).
"""

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('history', schema=None) as batch_op:
        batch_op.add_column(sa.Column('entity', sa.String(length=20), nullable=False, server_default='action'))
        batch_op.add_column(sa.Column('entity_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('payload', sa.JSON(), nullable=True))
    op.execute("UPDATE history SET entity_id = action_id")
    for table in ('strategic_objectives', 'operational_objectives'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default='1'))


def downgrade() -> None:
    for table in ('strategic_objectives', 'operational_objectives'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('version')
    with op.batch_alter_table('history', schema=None) as batch_op:
        batch_op.drop_column('payload')
        batch_op.drop_column('entity_id')
        batch_op.drop_column('entity')
