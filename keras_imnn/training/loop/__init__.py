"""The training loop: ``fit`` (callbacks, the orbit twin and head refit), ``train``/``train_on`` for zoo models,
``finetune``, scoring, and what a run saves."""
