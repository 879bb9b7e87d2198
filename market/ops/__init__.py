"""Operations: periodic tasks (beat and the in-process scheduler), the figures behind
/metrics and /readyz, backup and restore."""
