"""the applicant's address: where the written answer reaches them

Revision ID: 0002_address
Revises: 0002
Create Date: 2026-12-01

* ``appeals.address``: a postal address (at least a settlement) or an e-mail address,
  up to 300 characters (CONTRACT.md, slot ``address``).  Nullable: appeals filed before
  the form asked for it have none, and erasure clears it with the other personal data.
* The file is named ``0002_address`` as agreed; it follows ``0002`` (staff console).
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_address"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("appeals") as batch:
        batch.add_column(sa.Column("address", sa.String(300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("appeals") as batch:
        batch.drop_column("address")
