"""reminders.state: « sending » while the mail server is being called, « sent » afterwards

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07

A reminder run used to hold its write transaction open while it talked to the mail server:
on SQLite every save of every plan waited. Now the reminder is claimed (« sending », committed),
sent outside any transaction, then marked « sent » (or its claim removed when the server
refuses). The rows written before this migration were all sent.
"""

from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('reminders') as batch:
        batch.add_column(sa.Column('state', sa.String(length=10), nullable=False, server_default='sent'))
        batch.create_check_constraint(op.f('ck_reminders_state_known'), "state IN ('sending', 'sent')")


def downgrade() -> None:
    op.execute("DELETE FROM reminders WHERE state = 'sending'")
    with op.batch_alter_table('reminders') as batch:
        batch.drop_constraint(op.f('ck_reminders_state_known'), type_='check')
        batch.drop_column('state')
