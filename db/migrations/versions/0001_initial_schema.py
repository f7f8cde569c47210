"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-23
"""

from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('labels',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('colour', sa.String(length=7), nullable=False),
    sa.CheckConstraint('length(name) > 0', name=op.f('ck_labels_name_not_empty')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_labels')),
    sa.UniqueConstraint('name', name=op.f('uq_labels_name'))
    )
    op.create_table('plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=60), nullable=False),
    sa.Column('organisation', sa.String(length=200), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('period_start', sa.Integer(), nullable=True),
    sa.Column('period_end', sa.Integer(), nullable=True),
    sa.Column('document', sa.String(length=200), nullable=True),
    sa.Column('source', sa.String(length=200), nullable=True),
    sa.Column('priority_scale', sa.JSON(), nullable=False),
    sa.Column('evaluation_bands', sa.JSON(), nullable=False),
    sa.Column('stated_totals', sa.JSON(), nullable=False),
    sa.Column('notes', sa.JSON(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('revision >= 0', name=op.f('ck_plans_revision_positive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plans')),
    sa.UniqueConstraint('slug', name=op.f('uq_plans_slug'))
    )
    op.create_table('services',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_services_plan_id_plans'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_services')),
    sa.UniqueConstraint('plan_id', 'name', name='uq_services_plan_name')
    )
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_services_plan_id'), ['plan_id'], unique=False)

    op.create_table('strategic_objectives',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('axis', sa.String(length=200), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('stated_totals', sa.JSON(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_strategic_objectives_plan_id_plans'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_strategic_objectives')),
    sa.UniqueConstraint('plan_id', 'code', name='uq_strategic_objectives_plan_code')
    )
    with op.batch_alter_table('strategic_objectives', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_strategic_objectives_plan_id'), ['plan_id'], unique=False)

    op.create_table('operational_objectives',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('strategic_objective_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('indicators', sa.JSON(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['strategic_objective_id'], ['strategic_objectives.id'], name=op.f('fk_operational_objectives_strategic_objective_id_strategic_objectives'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_operational_objectives')),
    sa.UniqueConstraint('strategic_objective_id', 'code', name='uq_operational_objectives_os_code')
    )
    with op.batch_alter_table('operational_objectives', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_operational_objectives_strategic_objective_id'), ['strategic_objective_id'], unique=False)

    op.create_table('actions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('operational_objective_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('priority', sa.String(length=80), nullable=True),
    sa.Column('project_lead', sa.String(length=300), nullable=True),
    sa.Column('department', sa.String(length=300), nullable=True),
    sa.Column('partners', sa.JSON(), nullable=False),
    sa.Column('start_text', sa.String(length=120), nullable=True),
    sa.Column('start_date', sa.Date(), nullable=True),
    sa.Column('end_text', sa.String(length=120), nullable=True),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=40), nullable=True),
    sa.Column('progress', sa.Integer(), nullable=True),
    sa.Column('indicators', sa.JSON(), nullable=False),
    sa.Column('budget', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('budget_text', sa.Text(), nullable=True),
    sa.Column('staff_fte', sa.Numeric(precision=8, scale=2), nullable=True),
    sa.Column('staff_text', sa.Text(), nullable=True),
    sa.Column('risks', sa.JSON(), nullable=False),
    sa.Column('deliverables', sa.Text(), nullable=True),
    sa.Column('context', sa.Text(), nullable=True),
    sa.Column('evaluation', sa.Text(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('weight', sa.Float(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=120), nullable=True),
    sa.CheckConstraint("status IS NULL OR status IN ('À programmer', 'En cours', 'Finalisé', 'Suspendu', 'Abandonné')", name=op.f('ck_actions_status_known')),
    sa.CheckConstraint('budget IS NULL OR budget >= 0', name=op.f('ck_actions_budget_positive')),
    sa.CheckConstraint('length(title) > 0', name=op.f('ck_actions_title_not_empty')),
    sa.CheckConstraint('progress IS NULL OR (progress >= 0 AND progress <= 100)', name=op.f('ck_actions_progress_range')),
    sa.CheckConstraint('staff_fte IS NULL OR staff_fte >= 0', name=op.f('ck_actions_staff_positive')),
    sa.CheckConstraint('start_date IS NULL OR end_date IS NULL OR end_date >= start_date', name=op.f('ck_actions_dates_ordered')),
    sa.CheckConstraint('version >= 1', name=op.f('ck_actions_version_positive')),
    sa.CheckConstraint('weight >= 0', name=op.f('ck_actions_weight_positive')),
    sa.ForeignKeyConstraint(['operational_objective_id'], ['operational_objectives.id'], name=op.f('fk_actions_operational_objective_id_operational_objectives'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_actions')),
    sa.UniqueConstraint('operational_objective_id', 'code', name='uq_actions_oo_code')
    )
    with op.batch_alter_table('actions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_actions_end_date'), ['end_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_actions_operational_objective_id'), ['operational_objective_id'], unique=False)

    op.create_table('action_labels',
    sa.Column('action_id', sa.Integer(), nullable=False),
    sa.Column('label_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['action_id'], ['actions.id'], name=op.f('fk_action_labels_action_id_actions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['label_id'], ['labels.id'], name=op.f('fk_action_labels_label_id_labels'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('action_id', 'label_id', name=op.f('pk_action_labels'))
    )
    with op.batch_alter_table('action_labels', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_action_labels_label_id'), ['label_id'], unique=False)

    op.create_table('action_services',
    sa.Column('action_id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['action_id'], ['actions.id'], name=op.f('fk_action_services_action_id_actions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_action_services_service_id_services'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('action_id', 'service_id', name=op.f('pk_action_services'))
    )
    with op.batch_alter_table('action_services', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_action_services_service_id'), ['service_id'], unique=False)

    op.create_table('history',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('action_id', sa.Integer(), nullable=True),
    sa.Column('action_code', sa.String(length=40), nullable=False),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.Column('changed_by', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('field', sa.String(length=60), nullable=False),
    sa.Column('old_value', sa.Text(), nullable=True),
    sa.Column('new_value', sa.Text(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('change_id', sa.String(length=36), nullable=False),
    sa.CheckConstraint("kind IN ('import', 'create', 'update', 'delete', 'undo')", name=op.f('ck_history_kind_known')),
    sa.ForeignKeyConstraint(['action_id'], ['actions.id'], name=op.f('fk_history_action_id_actions'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_history_plan_id_plans'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_history'))
    )
    with op.batch_alter_table('history', schema=None) as batch_op:
        batch_op.create_index('ix_history_action_changed_at', ['action_id', 'changed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_history_change_id'), ['change_id'], unique=False)
        batch_op.create_index('ix_history_plan_changed_at', ['plan_id', 'changed_at'], unique=False)

    op.create_table('sub_actions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('action_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('evaluation', sa.Text(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['action_id'], ['actions.id'], name=op.f('fk_sub_actions_action_id_actions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sub_actions')),
    sa.UniqueConstraint('action_id', 'code', name='uq_sub_actions_action_code')
    )
    with op.batch_alter_table('sub_actions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sub_actions_action_id'), ['action_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('sub_actions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sub_actions_action_id'))

    op.drop_table('sub_actions')
    with op.batch_alter_table('history', schema=None) as batch_op:
        batch_op.drop_index('ix_history_plan_changed_at')
        batch_op.drop_index(batch_op.f('ix_history_change_id'))
        batch_op.drop_index('ix_history_action_changed_at')

    op.drop_table('history')
    with op.batch_alter_table('action_services', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_action_services_service_id'))

    op.drop_table('action_services')
    with op.batch_alter_table('action_labels', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_action_labels_label_id'))

    op.drop_table('action_labels')
    with op.batch_alter_table('actions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_actions_operational_objective_id'))
        batch_op.drop_index(batch_op.f('ix_actions_end_date'))

    op.drop_table('actions')
    with op.batch_alter_table('operational_objectives', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_operational_objectives_strategic_objective_id'))

    op.drop_table('operational_objectives')
    with op.batch_alter_table('strategic_objectives', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_strategic_objectives_plan_id'))

    op.drop_table('strategic_objectives')
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_services_plan_id'))

    op.drop_table('services')
    op.drop_table('plans')
    op.drop_table('labels')
