"""Datasets of users' own (uploads, tables of connected databases, read-only SELECTs), who they
are shared with, and the connected databases themselves.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('source_connections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('backend', sa.String(length=16), nullable=False),
    sa.Column('url_token', sa.Text(), nullable=False),
    sa.Column('display_url', sa.String(length=1000), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('datasets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('label', sa.String(length=120), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=8), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=True),
    sa.Column('relation', sa.String(length=400), nullable=True),
    sa.Column('sql', sa.Text(), nullable=True),
    sa.Column('definition', sa.Text(), nullable=False),
    sa.Column('row_count', sa.BigInteger(), nullable=True),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('refreshed_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['connection_id'], ['source_connections.id'], ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    with op.batch_alter_table('datasets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_datasets_connection_id'), ['connection_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_datasets_owner_id'), ['owner_id'], unique=False)

    op.create_table('dataset_shares',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dataset_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['dataset_id'], ['datasets.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('dataset_id', 'user_id', name='uq_dataset_shares_dataset_user')
    )
    with op.batch_alter_table('dataset_shares', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dataset_shares_user_id'), ['user_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('dataset_shares', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dataset_shares_user_id'))

    op.drop_table('dataset_shares')
    with op.batch_alter_table('datasets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_datasets_owner_id'))
        batch_op.drop_index(batch_op.f('ix_datasets_connection_id'))

    op.drop_table('datasets')
    op.drop_table('source_connections')
