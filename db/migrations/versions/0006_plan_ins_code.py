"""the CPAS's INS code on its plan

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03

eComptes (the Region's platform) names a CPAS by its INS code in every PST file it hands out or
takes in; the plan keeps it so an export needs no question and an import fills it.
"""

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('plans') as batch:
        batch.add_column(sa.Column('ins_code', sa.String(length=5), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('plans') as batch:
        batch.drop_column('ins_code')
