"""indicators that measure: label, unit, baseline, target with its year, values over time

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04

An indicator belongs to an operational objective (Saint-Ghislain's « Indicateurs de résultat »)
or to an action; its measured values are dated, one per day.
"""

from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'indicators',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('plan_id', sa.Integer(), nullable=False),
        sa.Column('operational_objective_id', sa.Integer(), nullable=True),
        sa.Column('action_id', sa.Integer(), nullable=True),
        sa.Column('label', sa.String(length=500), nullable=False),
        sa.Column('unit', sa.String(length=40), nullable=True),
        sa.Column('baseline', sa.Numeric(precision=16, scale=4), nullable=True),
        sa.Column('baseline_year', sa.Integer(), nullable=True),
        sa.Column('target', sa.Numeric(precision=16, scale=4), nullable=True),
        sa.Column('target_year', sa.Integer(), nullable=True),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), server_default='1', nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint('(operational_objective_id IS NULL) <> (action_id IS NULL)',
                           name=op.f('ck_indicators_one_owner')),
        sa.CheckConstraint('length(label) > 0', name=op.f('ck_indicators_label_not_empty')),
        sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_indicators_plan_id_plans'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['operational_objective_id'], ['operational_objectives.id'],
                                name=op.f('fk_indicators_operational_objective_id_operational_objectives'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['action_id'], ['actions.id'], name=op.f('fk_indicators_action_id_actions'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_indicators')),
    )
    op.create_index(op.f('ix_indicators_plan_id'), 'indicators', ['plan_id'])
    op.create_table(
        'indicator_values',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('indicator_id', sa.Integer(), nullable=False),
        sa.Column('measured_on', sa.Date(), nullable=False),
        sa.Column('value', sa.Numeric(precision=16, scale=4), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('created_by', sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(['indicator_id'], ['indicators.id'],
                                name=op.f('fk_indicator_values_indicator_id_indicators'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_indicator_values')),
        sa.UniqueConstraint('indicator_id', 'measured_on', name='uq_indicator_values_indicator_day'),
    )


def downgrade() -> None:
    op.drop_table('indicator_values')
    op.drop_index(op.f('ix_indicators_plan_id'), table_name='indicators')
    op.drop_table('indicators')
