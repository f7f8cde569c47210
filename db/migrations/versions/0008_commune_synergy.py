"""actions run with (or shared with) the commune: the Ville–CPAS synergies

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04

The SPW asks the PST's evaluation to review the synergies between the commune and its CPAS:
each action says whether it is one.
"""

from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('actions') as batch:
        batch.add_column(sa.Column('with_commune', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('actions') as batch:
        batch.drop_column('with_commune')
