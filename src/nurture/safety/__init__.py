"""Safety alerts: raised in the same transaction as the answers, acknowledged, escalated."""
