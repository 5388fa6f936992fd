"""The LiteLLM proxy stage of ``litellm-config``: the config document and its clashes
(reconciler.litellm.config), which outputs the options ask for, whether a rendered config file
is current, and the secret values handed to the deployment (reconciler.litellm.outputs). The
YAML text and the words are reconciler.render.litellm_config's and
reconciler.render.litellm_outputs'."""
