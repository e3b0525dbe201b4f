"""Alembic environment: runs migrations on the URL `collegebot.store.migrate` hands over."""

from alembic import context
from sqlalchemy import create_engine

from collegebot.store.models import Base

url = context.config.attributes.get("url")
if url is None:  # run through the alembic CLI: use the same settings as the services
    from collegebot.settings import StoreSettings, load
    from collegebot.store import _with_driver

    url = _with_driver(load(StoreSettings).url, use_async=False)

engine = create_engine(url)
with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
