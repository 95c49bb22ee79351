"""Train a tiny model for a few steps on this project's exports: SFT, DPO and KTO in TRL.

Not part of CI.  It checks that the exports still load and train in the real
trainer after an upgrade, on the CPU, with no download: the tokenizer (byte-level
BPE) is trained on the exported texts and the model is a 2-layer Llama built from
a config.  The losses it prints show the trainers ran, nothing about quality.

    python -m venv /tmp/trainvenv
    /tmp/trainvenv/bin/pip install torch==2.13.0     # the CPU wheel on this machine's disk
    /tmp/trainvenv/bin/pip install trl transformers datasets tokenizers

    # demo data: capture examples (some with /retry alternatives), export every format, train
    /tmp/trainvenv/bin/python examples/train_smoke.py --demo /tmp/smoke

    # or your own exports (any of the three)
    /tmp/trainvenv/bin/python examples/train_smoke.py --workdir /tmp/smoke \\
        --sft pc.jsonl --dpo dpo.jsonl --kto kto.jsonl --steps 10
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # everything here is built locally
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import fine_tuning_capture as ftc

SPECIAL_TOKENS = ["<|pad|>", "<|bos|>", "<|end|>", "<|system|>", "<|user|>", "<|assistant|>"]
# Each message is <|role|>content<|end|>; the generation markers let a trainer find the assistant's part.
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if message['role'] == 'assistant' %}<|assistant|>{% generation %}{{ message['content'] }}<|end|>"
    "{% endgeneration %}"
    "{% else %}<|{{ message['role'] }}|>{{ message['content'] }}<|end|>{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)
VOCAB_SIZE = 1500  # small: the model only has to fit a few hundred short texts

# Demo data: (user message, praised reply, replies a /retry replaced).
DEMO_SYSTEM = ("You are Timmy, a cheerful assistant. Answer briefly.\n"
               "Memories:\n• cat: Winston 🐈\n• likes tea, not coffee\n```\nformat: plain text\n```")
DEMO_EXCHANGES = [
    ("What's my cat's name?", "Winston, of course. 🐈", ["I don't know your cat.", "Your cat is called Felix."]),
    ("Suggest a quick dinner.", "An omelette with herbs: ten minutes.", ["Order a pizza."]),
    ("What should I drink?", "Tea, since you don't like coffee.", ["Coffee!", "A double espresso."]),
    ("Say hello in French.", "Bonjour ! Ça va ?", ["Hello."]),
    ("Write a Python hello world.", "```python\nprint('hello, world')\n```", ["print hello"]),
    ("Tell me a joke.", "Why did the cat sit on the laptop? To keep an eye on the mouse.", []),
    ("How do I say thanks in Arabic?", "شكرا (shukran).", ["Thanks."]),
    ("What is 7 × 8?", "56.", ["54.", "I think 58."]),
    ("Name a colour.", "Teal: a blue-green.", []),
    ("Good morning!", "Good morning! Tea is ready, Winston is asleep.", ["Morning."]),
    ("Give me a word for happy.", "Cheerful — like me.", ["Sad."]),
    ("What day comes after Monday?", "Tuesday.", ["Sunday."]),
]


def make_demo(folder: Path) -> dict[str, Path]:
    """Capture the demo examples with the module itself and export every format with its command line."""
    folder.mkdir(parents=True, exist_ok=True)
    examples = folder / "examples.md"
    examples.unlink(missing_ok=True)
    for round_number in range(2):  # two sessions of the same exchanges, with different praise
        for number, (user, reply, rejected) in enumerate(DEMO_EXCHANGES):
            ftc.capture_fine_tuning_example(user, DEMO_SYSTEM, reply, "Good one, Timmy!",
                                            {"session_id": f"demo-{round_number}-{number}"}, path=examples,
                                            rejected_responses=rejected[round_number:] if rejected else ())
    exports = {}
    for fmt in ftc.EXPORT_FORMATS:
        exports[fmt] = folder / f"{fmt}.jsonl"
        argv = ["export", "--file", str(examples), "--format", fmt, "-o", str(exports[fmt])]
        if fmt in ftc.DATASET_INFO_FORMATS:
            argv += ["--dataset-info", str(folder / "dataset_info.json")]
        if ftc.main(argv) != 0:
            raise SystemExit(f"export of {fmt} failed")
    return exports


def texts_of(value: object) -> list[str]:
    """Every string inside a JSON record."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in texts_of(item)]
    if isinstance(value, list):
        return [text for item in value for text in texts_of(item)]
    return []


def build_tiny_model(files: list[Path], folder: Path) -> Path:
    """A byte-level BPE trained on the exports and a 2-layer Llama, saved together in *folder*."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast, set_seed

    texts = [text for path in files for line in path.read_text(encoding="utf-8").splitlines()
             for text in texts_of(json.loads(line))]
    core = Tokenizer(models.BPE())
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = decoders.ByteLevel()
    core.train_from_iterator(texts, trainers.BpeTrainer(vocab_size=VOCAB_SIZE, special_tokens=SPECIAL_TOKENS,
                                                        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=core, bos_token="<|bos|>", eos_token="<|end|>",
                                        pad_token="<|pad|>")
    tokenizer.chat_template = CHAT_TEMPLATE
    for text in texts:
        if tokenizer.decode(tokenizer.encode(text, add_special_tokens=False)) != text:
            raise SystemExit(f"the tokenizer does not round-trip {text!r}")
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=2048,
                         bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
                         pad_token_id=tokenizer.pad_token_id, tie_word_embeddings=False)
    set_seed(0)  # the same starting weights on every run, so losses can be compared across upgrades
    LlamaForCausalLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    print(f"tiny model: {folder} ({len(tokenizer)} tokens, {len(texts)} texts round-trip exactly)")
    return folder


def label_counts(path: Path) -> tuple[int, int]:
    labels = [json.loads(line)["label"] for line in path.read_text(encoding="utf-8").splitlines()]
    return sum(labels), len(labels) - sum(labels)


def train(kind: str, data: Path, model: Path, workdir: Path, steps: int) -> None:
    """A few steps of one TRL trainer; prints the first and last logged loss."""
    import trl
    from datasets import load_dataset
    from transformers import AutoTokenizer

    dataset = load_dataset("json", data_files=str(data), split="train")
    common = dict(output_dir=str(workdir / kind), max_steps=steps, per_device_train_batch_size=4,
                  learning_rate=1e-3, logging_steps=1, save_strategy="no", report_to="none",
                  use_cpu=True, bf16=False, max_length=512)
    if kind == "sft":
        trainer_class, args = trl.SFTTrainer, trl.SFTConfig(**common)
    elif kind == "dpo":
        trainer_class, args = trl.DPOTrainer, trl.DPOConfig(**common)
    else:
        weight = ftc.kto_desirable_weight(*label_counts(data))
        if weight is None:
            raise SystemExit(f"{data}: KTO needs both labels")
        trainer_class, args = trl.KTOTrainer, trl.KTOConfig(**common, desirable_weight=weight)
    tokenizer = AutoTokenizer.from_pretrained(model)
    trainer = trainer_class(model=str(model), args=args, train_dataset=dataset, processing_class=tokenizer)
    trainer.train()
    losses = [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]
    extra = f", desirable_weight {args.desirable_weight}" if kind == "kto" else ""
    print(f"RESULT {kind}: trl {trl.__version__}, {len(dataset)} rows of {data.name}, {trainer.state.global_step}"
          f" steps, loss {losses[0]:.4f} -> {losses[-1]:.4f}{extra}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--demo", type=Path, metavar="DIR", help="capture demo examples and export them into DIR")
    parser.add_argument("--workdir", type=Path, metavar="DIR", help="where the model and trainer output go")
    parser.add_argument("--sft", type=Path, help="a prompt-completion (or openai messages) export")
    parser.add_argument("--dpo", type=Path, help="a dpo export")
    parser.add_argument("--kto", type=Path, help="a kto export")
    parser.add_argument("--steps", type=int, default=10)
    args = parser.parse_args()
    workdir = (args.workdir or args.demo or parser.error("give --demo DIR or --workdir DIR")).resolve()
    runs = {"sft": args.sft, "dpo": args.dpo, "kto": args.kto}
    if args.demo:
        exports = make_demo(args.demo.resolve())
        runs = {"sft": exports["prompt-completion"], "dpo": exports["dpo"], "kto": exports["kto"]}
    runs = {kind: path for kind, path in runs.items() if path}
    if not runs:
        parser.error("nothing to train: give --sft, --dpo or --kto, or --demo")
    model = build_tiny_model(list(runs.values()), workdir / "tiny-model")
    started = dt.datetime.now()
    for kind, path in runs.items():
        train(kind, path, model, workdir, args.steps)
    print(f"done in {(dt.datetime.now() - started).total_seconds():.0f} s")


if __name__ == "__main__":
    main()
