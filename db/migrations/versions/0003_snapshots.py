"""snapshots

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('snapshots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('taken_at', sa.DateTime(), nullable=False),
    sa.Column('taken_by', sa.String(length=120), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_snapshots_plan_id_plans'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_snapshots')),
    sa.UniqueConstraint('plan_id', 'name', name='uq_snapshots_plan_name')
    )
    with op.batch_alter_table('snapshots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_snapshots_plan_id'), ['plan_id'], unique=False)

    op.create_table('snapshot_actions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('snapshot_id', sa.Integer(), nullable=False),
    sa.Column('action_id', sa.Integer(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('os_code', sa.String(length=40), nullable=False),
    sa.Column('os_title', sa.String(length=500), nullable=False),
    sa.Column('oo_code', sa.String(length=40), nullable=False),
    sa.Column('oo_title', sa.String(length=500), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('status', sa.String(length=40), nullable=True),
    sa.Column('progress', sa.Integer(), nullable=True),
    sa.Column('weight', sa.Float(), nullable=False),
    sa.CheckConstraint('progress IS NULL OR (progress >= 0 AND progress <= 100)', name=op.f('ck_snapshot_actions_progress_range')),
    sa.ForeignKeyConstraint(['action_id'], ['actions.id'], name=op.f('fk_snapshot_actions_action_id_actions'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['snapshot_id'], ['snapshots.id'], name=op.f('fk_snapshot_actions_snapshot_id_snapshots'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_snapshot_actions'))
    )
    with op.batch_alter_table('snapshot_actions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_snapshot_actions_snapshot_id'), ['snapshot_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('snapshot_actions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_snapshot_actions_snapshot_id'))

    op.drop_table('snapshot_actions')
    with op.batch_alter_table('snapshots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_snapshots_plan_id'))

    op.drop_table('snapshots')
