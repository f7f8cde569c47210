"""accounts, roles, sessions, Bureau links, publishing, settings

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01

Who is editing: accounts with a role and the plans they see, logins kept as sessions (shared
by every server process), revocable read-only links for the Bureau's screen, the plan chosen for
the public page, and instance settings. History rows and actions' chefs de projet point at
accounts.
"""

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'accounts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('login', sa.String(length=64), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=True),
        sa.Column('role', sa.String(length=20), nullable=False),
        sa.Column('all_plans', sa.Boolean(), nullable=False),
        sa.Column('password_hash', sa.String(length=255), nullable=True),
        sa.Column('must_change_password', sa.Boolean(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('failed_logins', sa.Integer(), nullable=False),
        sa.Column('locked_until', sa.DateTime(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('last_login_at', sa.DateTime(), nullable=True),
        sa.CheckConstraint("role IN ('lecteur', 'chef', 'directeur', 'admin')", name=op.f('ck_accounts_role_known')),
        sa.CheckConstraint('length(login) > 0', name=op.f('ck_accounts_login_not_empty')),
        sa.CheckConstraint('failed_logins >= 0', name=op.f('ck_accounts_failed_logins_positive')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_accounts')),
        sa.UniqueConstraint('login', name=op.f('uq_accounts_login')),
    )
    op.create_table(
        'account_plans',
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('plan_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_account_plans_account_id_accounts'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_account_plans_plan_id_plans'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('account_id', 'plan_id', name=op.f('pk_account_plans')),
    )
    op.create_index(op.f('ix_account_plans_plan_id'), 'account_plans', ['plan_id'])
    op.create_table(
        'account_sessions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('last_seen_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.Column('ended_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_account_sessions_account_id_accounts'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_account_sessions')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_account_sessions_token_hash')),
    )
    op.create_index(op.f('ix_account_sessions_account_id'), 'account_sessions', ['account_id'])
    op.create_table(
        'bureau_links',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('plan_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('label', sa.String(length=120), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('created_by', sa.String(length=120), nullable=False),
        sa.Column('revoked_at', sa.DateTime(), nullable=True),
        sa.Column('last_used_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_bureau_links_plan_id_plans'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_bureau_links')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_bureau_links_token_hash')),
    )
    op.create_index(op.f('ix_bureau_links_plan_id'), 'bureau_links', ['plan_id'])
    op.create_table(
        'account_events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('by', sa.String(length=120), nullable=False),
        sa.Column('event', sa.String(length=40), nullable=False),
        sa.Column('subject', sa.String(length=120), nullable=False),
        sa.Column('detail', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_account_events')),
    )
    op.create_index(op.f('ix_account_events_at'), 'account_events', ['at'])
    op.create_table(
        'settings',
        sa.Column('key', sa.String(length=60), nullable=False),
        sa.Column('value', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_settings')),
    )
    with op.batch_alter_table('plans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('published', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('published_names', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('actions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lead_account_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_actions_lead_account_id'), ['lead_account_id'])
        batch_op.create_foreign_key(batch_op.f('fk_actions_lead_account_id_accounts'), 'accounts',
                                    ['lead_account_id'], ['id'], ondelete='SET NULL')
    with op.batch_alter_table('history', schema=None) as batch_op:
        batch_op.add_column(sa.Column('account_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_history_account_id_accounts'), 'accounts',
                                    ['account_id'], ['id'], ondelete='SET NULL')


def downgrade() -> None:
    with op.batch_alter_table('history', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_history_account_id_accounts'), type_='foreignkey')
        batch_op.drop_column('account_id')
    with op.batch_alter_table('actions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_actions_lead_account_id_accounts'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_actions_lead_account_id'))
        batch_op.drop_column('lead_account_id')
    with op.batch_alter_table('plans', schema=None) as batch_op:
        batch_op.drop_column('published_names')
        batch_op.drop_column('published')
    op.drop_table('settings')
    op.drop_index(op.f('ix_account_events_at'), table_name='account_events')
    op.drop_table('account_events')
    op.drop_index(op.f('ix_bureau_links_plan_id'), table_name='bureau_links')
    op.drop_table('bureau_links')
    op.drop_index(op.f('ix_account_sessions_account_id'), table_name='account_sessions')
    op.drop_table('account_sessions')
    op.drop_index(op.f('ix_account_plans_plan_id'), table_name='account_plans')
    op.drop_table('account_plans')
    op.drop_table('accounts')
