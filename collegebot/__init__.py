"""Shared package of the bot: settings, telemetry, store, gRPC stubs and the CLI."""
