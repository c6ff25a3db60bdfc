"""What the Python analysis looks for: call families, seeding functions, config loaders,
credential patterns. Tables, not code, so the assessment's vocabulary is easy to extend.

Names are fully resolved dotted names (``import numpy as np; np.load`` -> ``numpy.load``).
A call is classified by exact name, then by its leading package (``mlflow.*``), then by its
last attribute (``*.from_pretrained``) for receivers the analysis cannot resolve.
"""

from __future__ import annotations

import itertools
import re

# Data tables below are kept one-concept-per-line (``# fmt: skip``) so they stay reviewable.

# Leading packages whose every call is a fact (matched on the first 1-3 name components).
PREFIX_CATEGORIES: dict[str, str] = {
    **dict.fromkeys(("mlflow", "wandb", "neptune", "comet_ml", "aim", "clearml", "dvclive",
                     "tensorboardX", "torch.utils.tensorboard", "tensorflow.summary", "sacred"),
                    "experiment-tracking"),
    "dvc.api": "dvc",
    **dict.fromkeys(("great_expectations", "pandera", "deepchecks", "evidently", "whylogs",
                     "nannyml", "alibi_detect", "tensorflow_data_validation", "soda", "frouros"),
                    "data-validation"),
    **dict.fromkeys(("optuna", "ray.tune", "hyperopt", "keras_tuner", "skopt", "nevergrad"), "hpo"),
    **dict.fromkeys(("shap", "lime", "captum", "alibi"), "explainability"),
    **dict.fromkeys(("fairlearn", "aif360"), "fairness"),
    "prometheus_client": "metrics-instrumentation",
    "opentelemetry": "telemetry",
    **dict.fromkeys(("bentoml", "ray.serve", "kserve", "seldon_core", "mlserver", "tritonclient"),
                    "serving"),
    "huggingface_hub": "model-hub",
}  # fmt: skip

_SERIALIZATION = (
    "torch.load", "torch.save", "torch.jit.load", "torch.jit.save",
    "pickle.load", "pickle.loads", "pickle.dump", "pickle.Unpickler",
    "dill.load", "dill.loads", "dill.dump", "cloudpickle.load", "cloudpickle.loads",
    "cloudpickle.dump", "joblib.load", "joblib.dump", "marshal.load", "marshal.loads",
    "shelve.open", "skops.io.load", "pandas.read_pickle",
    "numpy.load", "numpy.save", "numpy.savez", "numpy.savez_compressed",
    "keras.models.load_model", "keras.saving.load_model", "tensorflow.keras.models.load_model",
    "tensorflow.saved_model.load", "onnx.load", "onnxruntime.InferenceSession",
    "safetensors.torch.load_file", "safetensors.torch.save_file", "safetensors.safe_open",
)  # fmt: skip
_NETWORK = (
    "requests.get", "requests.post", "requests.put", "requests.patch", "requests.delete",
    "requests.head", "requests.request", "httpx.get", "httpx.post", "httpx.put", "httpx.delete",
    "httpx.request", "urllib.request.urlopen", "urllib.request.urlretrieve", "wget.download",
    "gdown.download", "torch.hub.download_url_to_file", "tensorflow.keras.utils.get_file",
    "keras.utils.get_file",
)  # fmt: skip
_DATA_IO = tuple(
    f"pandas.read_{fmt}"
    for fmt in ("csv", "parquet", "json", "excel", "feather", "table", "hdf", "sql", "orc")
)
EXACT_CATEGORIES: dict[str, str] = {
    **dict.fromkeys(_SERIALIZATION, "serialization"),
    **dict.fromkeys(_NETWORK, "network"),
    **dict.fromkeys(_DATA_IO, "data-io"),
    "eval": "code-execution", "exec": "code-execution",
    "os.system": "shell", "os.popen": "shell",
    **dict.fromkeys(("yaml.load", "yaml.unsafe_load", "yaml.full_load", "yaml.load_all",
                     "yaml.unsafe_load_all", "yaml.full_load_all"), "yaml"),
    **dict.fromkeys(("datasets.load_dataset", "transformers.pipeline", "torch.hub.load",
                     "timm.create_model", "sentence_transformers.SentenceTransformer"),
                    "model-hub"),
    **dict.fromkeys(("sklearn.model_selection.GridSearchCV",
                     "sklearn.model_selection.RandomizedSearchCV",
                     "sklearn.model_selection.HalvingGridSearchCV",
                     "sklearn.model_selection.HalvingRandomSearchCV"), "hpo"),
    "fastapi.FastAPI": "serving", "flask.Flask": "serving",
}  # fmt: skip
# Calls matched by their last attribute even when the receiver is unknown (a variable).
SUFFIX_CATEGORIES: dict[str, str] = {
    "from_pretrained": "model-hub", "push_to_hub": "model-hub",
    "save_pretrained": "serialization", "to_pickle": "serialization",
    "to_csv": "data-io", "to_parquet": "data-io",
}  # fmt: skip
# Names called without an import that still mean the builtin.
BUILTIN_CALLS = frozenset({"eval", "exec"})
SUBPROCESS_CALLS = frozenset({
    "subprocess.run", "subprocess.call", "subprocess.check_call", "subprocess.check_output",
    "subprocess.Popen", "subprocess.getoutput", "subprocess.getstatusoutput",
})  # fmt: skip
HUB_DOWNLOADS = frozenset({
    "huggingface_hub.hf_hub_download", "huggingface_hub.snapshot_download",
    "datasets.load_dataset", "transformers.pipeline",
})  # fmt: skip
SAFE_YAML_LOADERS = frozenset({
    "yaml.SafeLoader", "yaml.CSafeLoader", "yaml.BaseLoader", "yaml.CBaseLoader",
    "SafeLoader", "CSafeLoader", "BaseLoader",
})  # fmt: skip
PICKLE_LOADS = frozenset({
    "pickle.load", "pickle.loads", "pickle.Unpickler", "dill.load", "dill.loads",
    "cloudpickle.load", "cloudpickle.loads", "joblib.load", "pandas.read_pickle",
    "marshal.load", "marshal.loads", "shelve.open", "skops.io.load",
})  # fmt: skip

# Where a call's file argument is: (edge relation, positional index, keyword name).
ARTIFACT_ARGS: dict[str, tuple[str, int, str]] = {
    "torch.load": ("reads", 0, "f"), "torch.save": ("writes", 1, "f"),
    "torch.jit.load": ("reads", 0, "f"), "torch.jit.save": ("writes", 1, "f"),
    "joblib.load": ("reads", 0, "filename"), "joblib.dump": ("writes", 1, "filename"),
    "numpy.load": ("reads", 0, "file"), "numpy.save": ("writes", 0, "file"),
    "numpy.savez": ("writes", 0, "file"), "numpy.savez_compressed": ("writes", 0, "file"),
    "pickle.load": ("reads", 0, "file"), "pickle.dump": ("writes", 1, "file"),
    "pandas.read_pickle": ("reads", 0, "filepath_or_buffer"),
    "keras.models.load_model": ("reads", 0, "filepath"),
    "tensorflow.keras.models.load_model": ("reads", 0, "filepath"),
    "onnx.load": ("reads", 0, "f"),
    "safetensors.torch.load_file": ("reads", 0, "filename"),
    "safetensors.torch.save_file": ("writes", 1, "filename"),
    "mlflow.log_artifact": ("logs", 0, "local_path"),
    "dvc.api.open": ("reads", 0, "path"), "dvc.api.read": ("reads", 0, "path"),
    **dict.fromkeys(_DATA_IO, ("reads", 0, "filepath_or_buffer")),
    "to_csv": ("writes", 0, "path_or_buf"), "to_parquet": ("writes", 0, "path"),
    "to_pickle": ("writes", 0, "path"), "save_pretrained": ("writes", 0, "save_directory"),
}  # fmt: skip

SEED_FUNCTIONS: dict[str, str] = {
    "random.seed": "python", "random.Random": "python",
    "numpy.random.seed": "numpy", "numpy.random.default_rng": "numpy",
    "numpy.random.RandomState": "numpy",
    "torch.manual_seed": "torch", "torch.random.manual_seed": "torch",
    "torch.cuda.manual_seed": "torch", "torch.cuda.manual_seed_all": "torch",
    "torch.use_deterministic_algorithms": "torch-determinism",
    "tensorflow.random.set_seed": "tensorflow", "tensorflow.set_random_seed": "tensorflow",
    "tensorflow.compat.v1.set_random_seed": "tensorflow",
    "tensorflow.keras.utils.set_random_seed": "tensorflow",
    "tensorflow.config.experimental.enable_op_determinism": "tensorflow-determinism",
    "keras.utils.set_random_seed": "keras",
    "pytorch_lightning.seed_everything": "lightning",
    "pytorch_lightning.utilities.seed.seed_everything": "lightning",
    "lightning.seed_everything": "lightning", "lightning.pytorch.seed_everything": "lightning",
    "lightning.fabric.seed_everything": "lightning",
    "lightning_fabric.seed_everything": "lightning",
    "transformers.set_seed": "transformers", "transformers.trainer_utils.set_seed": "transformers",
    "transformers.enable_full_determinism": "transformers",
    "accelerate.utils.set_seed": "accelerate",
    "jax.random.PRNGKey": "jax", "jax.random.key": "jax",
}  # fmt: skip
DETERMINISM_FLAGS = frozenset(
    {"torch.backends.cudnn.deterministic", "torch.backends.cudnn.benchmark"}
)

# Calls returning a parsed config; their results are tracked for key reads.
CONFIG_LOADERS = frozenset({
    "yaml.safe_load", "yaml.load", "yaml.full_load", "yaml.unsafe_load", "json.load",
    "toml.load", "tomllib.load", "tomli.load", "omegaconf.OmegaConf.load",
    "dvc.api.params_show", "hydra.compose", "gin.parse_config_file",
})  # fmt: skip
CLI_MAINS: dict[str, str] = {
    "fire.Fire": "fire",
    "jsonargparse.CLI": "jsonargparse", "jsonargparse.auto_cli": "jsonargparse",
    "lightning.pytorch.cli.LightningCLI": "lightning-cli",
    "pytorch_lightning.cli.LightningCLI": "lightning-cli",
    "lightning.pytorch.LightningCLI": "lightning-cli",
}  # fmt: skip
ARGPARSE_LIBS = ("argparse", "jsonargparse", "configargparse", "simple_parsing")
# Dict/DictConfig methods: an attribute with one of these names is not a config key.
MAPPING_METHODS = frozenset({
    "get", "keys", "items", "values", "pop", "setdefault", "update", "copy", "to_dict",
    "to_container", "to_yaml", "__getitem__", "select", "merge", "dict", "model_dump",
})  # fmt: skip
METRIC_WORDS = re.compile(
    r"acc|f1|auc|roc|precision|recall|loss|err|rmse|mae|mse|score|r2|iou|map|bleu|rouge"
    r"|latency|drift|perplex|wer|ndcg|metric|throughput",
    re.IGNORECASE,
)
HEX40 = re.compile(r"[0-9a-f]{40}")

# --- credentials ----------------------------------------------------------------------------

SECRET_RULES: tuple[tuple[str, str], ...] = (
    ("aws-access-key-id", r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA)[0-9A-Z]{16}\b"),
    ("huggingface-token", r"\bhf_[A-Za-z0-9]{30,}"),
    ("openai-api-key", r"\bsk-(?:proj-|svcacct-|ant-)?[A-Za-z0-9_-]{20,}"),
    ("github-token", r"\bgh[pousr]_[A-Za-z0-9]{36,}"),
    ("github-fine-grained-token", r"\bgithub_pat_[A-Za-z0-9_]{40,}"),
    ("gitlab-token", r"\bglpat-[0-9A-Za-z_-]{20,}"),
    ("slack-token", r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
    ("google-api-key", r"\bAIza[0-9A-Za-z_-]{35}"),
    ("stripe-key", r"\b[sr]k_live_[0-9a-zA-Z]{20,}"),
    ("private-key", r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----"),
)
_SECRET_RE = re.compile(
    "|".join(f"(?P<r{idx}>{pattern})" for idx, (_, pattern) in enumerate(SECRET_RULES))
)
# Literal substrings one of which every rule needs: a fast filter before the regex.
_SECRET_MARKERS = (
    "AKIA", "ASIA", "AGPA", "AIDA", "AROA", "hf_", "sk-", "ghp_", "gho_", "ghu_", "ghs_", "ghr_",
    "github_pat_", "glpat-", "xox", "AIza", "k_live_", "PRIVATE KEY",
)  # fmt: skip
_SECRET_WORDS = frozenset({
    "password", "passwd", "pwd", "passphrase", "secret", "token", "apikey", "credential",
    "credentials",
})  # fmt: skip
_SECRET_PAIRS = frozenset({
    ("api", "key"), ("access", "key"), ("secret", "key"), ("private", "key"), ("auth", "key"),
    ("client", "secret"), ("auth", "token"), ("access", "token"),
})  # fmt: skip
# A secret word followed by one of these names the secret's metadata, not its value.
_NOT_SECRET_TAIL = frozenset({
    "name", "names", "path", "file", "filename", "url", "uri", "env", "var", "header", "type",
    "dir", "field", "len", "length", "prefix", "id", "ids", "count", "limit", "endpoint",
    "format", "pattern", "regex", "label", "size", "min", "max", "key", "required", "mask",
    "hint", "help", "prompt", "param", "kwarg", "arg", "attr",
})  # fmt: skip
_WORD_SPLIT = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])")
_PLACEHOLDER = re.compile(
    r"^(?:<.*>|\{.*\}|\$.*|%\(.*|\*+|x+|\.+|-+|#+|your[-_ ].*|.*\s.*)$", re.IGNORECASE | re.DOTALL
)
_ENV_VAR_NAME = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")
_PLACEHOLDER_WORDS = frozenset({
    "password", "secret", "token", "none", "null", "test", "testing", "dummy", "example",
    "placeholder", "todo", "changeme", "change-me", "redacted", "fake", "mock", "sample",
    "default", "empty", "unset", "notset", "invalid", "foo", "bar", "baz", "string", "str",
})  # fmt: skip


def secret_match(value: str) -> tuple[str, str] | None:
    """(rule name, matched text) of the first credential pattern in ``value``, if any."""
    if len(value) < 20 or not any(marker in value for marker in _SECRET_MARKERS):
        return None
    match = _SECRET_RE.search(value)
    if match is None or match.lastgroup is None:
        return None
    return SECRET_RULES[int(match.lastgroup[1:])][0], match.group()


def secret_rule(value: str) -> str | None:
    """Name of the credential pattern ``value`` contains, if any (cheap length pre-check)."""
    found = secret_match(value)
    return found[0] if found else None


def secret_like_name(name: str) -> bool:
    """``password``, ``HF_TOKEN``, ``apiKey``: yes; ``tokenizer``, ``token_path``: no."""
    words = [w.lower() for w in _WORD_SPLIT.split(name) if w]
    if not words:
        return False
    if (
        len(words) > 1
        and words[-1] in _NOT_SECRET_TAIL
        and (words[-2], words[-1]) not in _SECRET_PAIRS
    ):
        return False
    if any(word in _SECRET_WORDS for word in words):
        return True
    return any(pair in _SECRET_PAIRS for pair in itertools.pairwise(words))


def is_placeholder(value: str) -> bool:
    """Values that are clearly not real credentials: empty, templated, env-var names, prose."""
    stripped = value.strip()
    if len(stripped) < 4:
        return True
    return (
        stripped.lower() in _PLACEHOLDER_WORDS
        or bool(_PLACEHOLDER.match(stripped))
        or bool(_ENV_VAR_NAME.match(stripped))
    )


def mask(value: str) -> str:
    """First four characters and ``***``: enough to locate, never enough to use."""
    return value.strip()[:4] + "***"


def classify_call(name: str, imported: bool) -> str | None:
    """Category of a resolved call name, or None when the assessment ignores it."""
    if imported or name in BUILTIN_CALLS:
        category = EXACT_CATEGORIES.get(name)
        if category is not None:
            return category
    if imported:
        parts = name.split(".", 3)
        for size in (1, 2, 3):
            if size > len(parts):
                break
            category = PREFIX_CATEGORIES.get(".".join(parts[:size]).replace("()", ""))
            if category is not None:
                return category
    return SUFFIX_CATEGORIES.get(name.rsplit(".", 1)[-1])
