"""Alembic environment: runs migrations on the engine `collegebot.store.migrate` hands over."""

from alembic import context

from collegebot.store.models import Base

engine = context.config.attributes.get("engine")
if engine is None:  # run through the alembic CLI: use the same settings as the services
    from collegebot.settings import StoreSettings, load
    from collegebot.store import sync_engine

    settings = load(StoreSettings)
    engine = sync_engine(settings.url, settings.database_statement_cache)

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
