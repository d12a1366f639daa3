"""ikou's orchestration: plan, session, stages, production, reports, twins and the CLI."""
