"""a plan's schedule thresholds: « dans les temps » and « en retard » in % of the expected taux

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07

An action at 95 % or more of the taux its dates expect today is on schedule, from 85 % behind,
below very behind (pst_data.rules.schedule); each plan may set its own two thresholds.
"""

from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('plans') as batch:
        batch.add_column(sa.Column('schedule_on_track', sa.Integer(), nullable=False, server_default='95'))
        batch.add_column(sa.Column('schedule_behind', sa.Integer(), nullable=False, server_default='85'))
        batch.create_check_constraint(
            op.f('ck_plans_schedule_thresholds_range'),
            'schedule_behind >= 1 AND schedule_behind < schedule_on_track AND schedule_on_track <= 100')


def downgrade() -> None:
    with op.batch_alter_table('plans') as batch:
        batch.drop_constraint(op.f('ck_plans_schedule_thresholds_range'), type_='check')
        batch.drop_column('schedule_behind')
        batch.drop_column('schedule_on_track')
