"""Alembic environment: runs migrations on the engine `collegebot.store.migrate` hands over."""

from alembic import context

from collegebot.store.models import Base

engine = context.config.attributes["engine"]  # `collegebot migrate` runs it, never the alembic CLI

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
