"""The LiteLLM proxy stage of ``litellm-config``: which outputs the options ask for, whether a
rendered config file is current, and the secret values handed to the deployment. The config
document itself is reconciler.render.litellm_config's; the words are
reconciler.render.litellm_outputs'."""
