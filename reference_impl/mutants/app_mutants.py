"""Non-conformant variants of the reference APP."""
