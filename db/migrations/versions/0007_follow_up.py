"""follow-up between Bureaus: health of an action, the Bureau calendar, reminders

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04

A chef de projet says how an action is going (health and its reason) beside the taux; a
directeur records the plan's Bureau and Conseil dates, which « depuis le dernier Bureau »
counts from; reminders sent by e-mail are kept, so the automatic one is never sent twice.
"""

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

HEALTHS = ("Bon", "À surveiller", "En difficulté", "En pause")


def upgrade() -> None:
    with op.batch_alter_table('actions') as batch:
        batch.add_column(sa.Column('health', sa.String(length=40), nullable=True))
        batch.add_column(sa.Column('health_reason', sa.Text(), nullable=True))
        batch.create_check_constraint(
            op.f('ck_actions_health_known'), "health IS NULL OR health IN (" + ", ".join(f"'{h}'" for h in HEALTHS) + ")")
    with op.batch_alter_table('plans') as batch:
        batch.add_column(sa.Column('stale_after_days', sa.Integer(), nullable=False, server_default='60'))
        batch.add_column(sa.Column('reminder_days_before', sa.Integer(), nullable=False, server_default='7'))
        batch.add_column(sa.Column('reminder_text', sa.Text(), nullable=True))
        batch.create_check_constraint(op.f('ck_plans_stale_after_days_range'), 'stale_after_days >= 1 AND stale_after_days <= 3650')
        batch.create_check_constraint(op.f('ck_plans_reminder_days_range'), 'reminder_days_before >= 0 AND reminder_days_before <= 90')
    op.create_table(
        'meetings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('plan_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('held_on', sa.Date(), nullable=False),
        sa.Column('note', sa.String(length=200), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('created_by', sa.String(length=120), nullable=False),
        sa.CheckConstraint("kind IN ('bureau', 'conseil')", name=op.f('ck_meetings_kind_known')),
        sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_meetings_plan_id_plans'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_meetings')),
        sa.UniqueConstraint('plan_id', 'kind', 'held_on', name='uq_meetings_plan_kind_day'),
    )
    op.create_table(
        'reminders',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('plan_id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=True),
        sa.Column('meeting_id', sa.Integer(), nullable=True),
        sa.Column('trigger', sa.String(length=20), nullable=False),
        sa.Column('once_key', sa.String(length=80), nullable=True),
        sa.Column('recipient', sa.String(length=254), nullable=False),
        sa.Column('subject', sa.String(length=300), nullable=False),
        sa.Column('actions', sa.Integer(), nullable=False),
        sa.Column('sent_at', sa.DateTime(), nullable=False),
        sa.Column('sent_by', sa.String(length=120), nullable=False),
        sa.CheckConstraint("trigger IN ('auto', 'manual')", name=op.f('ck_reminders_trigger_known')),
        sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_reminders_plan_id_plans'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_reminders_account_id_accounts'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_reminders_meeting_id_meetings'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reminders')),
        sa.UniqueConstraint('once_key', name=op.f('uq_reminders_once_key')),
    )
    op.create_index('ix_reminders_plan_id', 'reminders', ['plan_id'])


def downgrade() -> None:
    op.drop_index('ix_reminders_plan_id', table_name='reminders')
    op.drop_table('reminders')
    op.drop_table('meetings')
    with op.batch_alter_table('plans') as batch:
        batch.drop_constraint(op.f('ck_plans_reminder_days_range'), type_='check')
        batch.drop_constraint(op.f('ck_plans_stale_after_days_range'), type_='check')
        batch.drop_column('reminder_text')
        batch.drop_column('reminder_days_before')
        batch.drop_column('stale_after_days')
    with op.batch_alter_table('actions') as batch:
        batch.drop_constraint(op.f('ck_actions_health_known'), type_='check')
        batch.drop_column('health_reason')
        batch.drop_column('health')
