"""Train the embedded DiT on a lent GPU and measure it, in one call with a fixed time budget.

What ran for the shipped model (`data/dit_fmnist/provenance.json` names this file and the commands):
1. `qdit_train --device cuda ...` for `--train-min` minutes, keeping EMA snapshots;
2. full-precision FID of the final model over a grid of guidance scales (1,000 samples, DDIM 50, seed 0);
3. the FID-vs-training-steps curve of the snapshots at the best guidance scale;
4. seeds 1 and 2 at the best scale and half a unit either side (the bar: the default is the sweep's minimum);
and writes what comes back to `--out`: the weights in parts of at most 15 MB, the records, the curve, the
full-precision samples of the best scale's three seeds, and a log. Each stage checks the time left and is
skipped, not cut, when it would not fit; whatever finished is written as it finishes.

Usage (repository root, Fashion-MNIST IDX files in $QDIT_DATA_DIR):
    python tools/device_instrument.py --out $OUT --train-min 5.5 --deadline-min 9
The training state (last.pt, with the optimizer: about 170 MB) is too large to bring back from a lent machine, so a
later session continues the shipped model with `--init-from data/dit_fmnist` (its weights seed model and EMA; the
provenance keeps the lineage). The device tool sends the working tree (at most 64 MiB): the Fashion-MNIST files
(31 MB) and the diffusers wheel (6 MB) travel as carried, git-ignored folders, and the shipped weights (43 MB) do not
fit beside them. A fresh run sends the tree with the weights file emptied; a continuation first sends the data
(weights emptied) and then, on the still-warm machine, the tree with the weights and without the carried folders,
which stay there between calls.
"""
from __future__ import annotations
import os, sys, json, time, argparse, traceback
from pathlib import Path

T0 = time.time()
CFGS = (1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 4.0)


def log(out:Path, *msg):
    line = f"[{time.time() - T0:7.1f}s] " + ' '.join(map(str, msg))
    print(line, flush=True)
    with open(out/'log.txt', 'a') as f: f.write(line + '\n')


def split_file(src:Path, out:Path, stem:str, part_bytes:int=15_000_000) -> list:
    "Write `src` as parts `stem.partN` of at most `part_bytes` (the transfer limit is 16 MiB a file)."
    data, names = src.read_bytes(), []
    for i in range(0, len(data), part_bytes):
        p = out/f'{stem}.part{i // part_bytes}'
        p.write_bytes(data[i:i + part_bytes]); names.append(p.name)
    return names


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', required=True)
    ap.add_argument('--train-min', type=float, default=5.5)
    ap.add_argument('--deadline-min', type=float, default=9.0, help='stop starting new work after this (from start)')
    ap.add_argument('--batch-size', type=int, default=512)
    ap.add_argument('--snapshot-every', type=int, default=2000)
    ap.add_argument('--n', type=int, default=1000)
    ap.add_argument('--device', default='cuda')
    ap.add_argument('--init-from', default=None,
                    help='continue from a saved DiT (e.g. data/dit_fmnist): its weights seed a new run (fresh optimizer)')
    a = ap.parse_args(argv)
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    deadline = T0 + a.deadline_min * 60
    import torch
    from qdit.core import save_json, read_jsonl, set_threads
    from qdit.model import default_model_dir, load_dit, weights_sha256
    from qdit.train import qdit_train_cli
    from qdit.evaluate import evaluate_model, training_curve, _samples_path
    set_threads(min(8, os.cpu_count() or 1))
    log(out, 'torch', torch.__version__, 'cuda', torch.cuda.is_available(),
        torch.cuda.get_device_name(0) if torch.cuda.is_available() else '-')
    ckpt = Path('data/checkpoints/dit_fmnist_gpu')
    summary = dict(started=time.strftime('%Y-%m-%dT%H:%M:%S'), args=vars(a))
    records = out/'records.jsonl'

    # 1. training, then the EMA weights exported as the shipped model
    train_argv = ['--device', a.device, '--ckpt-dir', str(ckpt), '--steps', '400000', '--batch-size', str(a.batch_size),
                  '--minutes', str(a.train_min), '--ckpt-every', '5000', '--snapshot-every', str(a.snapshot_every)]
    if a.init_from: train_argv += ['--init-from', a.init_from]
    log(out, 'qdit_train', ' '.join(train_argv))
    qdit_train_cli(train_argv)
    model_dir = default_model_dir()
    summary['model_sha256'] = weights_sha256(model_dir)
    summary['weights_parts'] = split_file(model_dir/'diffusion_pytorch_model.safetensors', out, 'weights')
    (out/'provenance.json').write_text((model_dir/'provenance.json').read_text())
    prov = json.loads((model_dir/'provenance.json').read_text())
    log(out, 'trained', prov['steps'], 'steps in', prov['wall_s'], 's; loss', prov['loss_curve'][-1])
    save_json(summary, out/'summary.json')
    model = load_dit()

    def fp(cfg, seed, tag):
        if time.time() > deadline - 20: log(out, 'skip (time)', tag, cfg, seed); return None
        r = evaluate_model(model, n=a.n, seed=seed, steps=50, cfg=cfg, method='fp', save=True, results=records,
                           batch_size=a.n, tag=tag, progress=False, paired=False, device=a.device)
        log(out, tag, f'cfg {cfg} seed {seed}: FID {r["metrics"]["fid"]:.2f} recall {r["metrics"]["recall"]:.3f} '
                      f'acc {r["metrics"]["accuracy"]:.3f} sample {r["sample_wall_s"]:.1f}s')
        return r

    # 2. guidance sweep on seed 0
    sweep = {c: fp(c, 0, 'fp-cfg') for c in CFGS}
    done = {c: r['metrics']['fid'] for c, r in sweep.items() if r}
    best = min(done, key=done.get)
    summary['best_cfg'] = best
    save_json(summary, out/'summary.json')

    # 3. seeds 1, 2 at the best scale, then at the best +- 0.5
    for c in (best, best - 0.5, best + 0.5):
        if c < 1: continue
        for s in (0, 1, 2): fp(c, s, 'fp-cfg' if c != best else 'fp-headline')

    # 4. the FID-vs-training-steps curve at the best scale
    if time.time() < deadline - 60:
        try:
            from qdit.train import snapshots
            steps = [s for s, _ in snapshots(ckpt)]
            at = sorted({steps[round(i * (len(steps) - 1) / 9)] for i in range(10)}) if len(steps) > 10 else steps
            curve = training_curve(ckpt, n=a.n, seed=0, steps=50, cfg=best, device=a.device, progress=False, at=at,
                                   batch_size=a.n)
            summary['curve'] = curve
            for row in curve: log(out, 'curve step', row['step'], 'FID', round(row['metrics']['fid'], 2))
        except Exception:
            log(out, 'curve failed', traceback.format_exc())
    save_json(summary, out/'summary.json')

    # 5. the best scale's full-precision samples of seeds 0-2 (the paired twins of the results table)
    from safetensors.torch import load_file, save_file
    twins = {}
    for r in read_jsonl(records):
        if r['protocol']['cfg'] == best and (p := _samples_path(r['key'])).exists():
            t = load_file(p)
            twins[f"images_seed{r['protocol']['seed']}"] = t['images']
            twins[f"labels_seed{r['protocol']['seed']}"] = t['labels']
    if twins: save_file(twins, out/'twins.safetensors', metadata=dict(cfg=str(best), model_sha256=summary['model_sha256']))
    summary['elapsed_s'] = time.time() - T0
    save_json(summary, out/'summary.json')
    log(out, 'done')


if __name__ == '__main__':
    main()
