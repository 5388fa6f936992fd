"""Secret sources (env, sops, AWS Secrets Manager) and encryption at rest."""
