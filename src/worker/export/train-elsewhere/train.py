#!/usr/bin/env python3
"""Deep Art Studio's recipe in PyTorch, for one device or many (written by the studio; no edits needed).

    python train.py bundle.zip                              # one CPU or GPU
    torchrun --nproc_per_node=4 train.py bundle.zip         # 4 GPUs (NCCL) or 4 CPU processes (gloo)
    torchrun --nnodes=2 --node_rank=0 --nproc_per_node=8 \\
             --rdzv_backend=c10d --rdzv_endpoint=HOST:29500 train.py bundle.zip   # on each node

The bundle (Train tab -> "Train elsewhere") holds the dataset with its split (labels.csv), the
starting weights, the recipe (recipe.json) and the network (graph.json). This script runs the same
recipe as the studio: fast.ai's transforms, the fast.ai head, BatchNorm over the whole batch (synced
across processes), AdamW with decoupled weight decay, one-cycle schedules, freeze -> fit -> unfreeze
-> fit with discriminative rates, the body's BatchNorm statistics re-measured after each epoch as the
recipe says (batchNorm.epochStatistics). The global batch size and schedule are the recipe's whatever the
number of processes. It prints fast.ai's epoch table and writes trained-with-pytorch.artmodel (Predict tab ->
"Import .artmodel" in the studio) and predictions.json next to it.
"""
import argparse
import csv
import io
import json
import math
import os
import struct
import sys
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from PIL import Image

BUNDLE_FORMAT = "deep-art-studio/train-bundle"
MODEL_MAGIC = b"DEEPART1"


# ----------------------------------------------------------------------------- distributed setup


class Dist:
    """Rank, world size and device; one process without torchrun."""

    def __init__(self, device_arg):
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        self.local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        local_world = int(os.environ.get("LOCAL_WORLD_SIZE", str(self.world)))
        cuda = torch.cuda.is_available() and device_arg != "cpu"
        if cuda:
            torch.cuda.set_device(self.local_rank)
            self.device = torch.device("cuda", self.local_rank)
        else:
            self.device = torch.device("cpu")
            torch.set_num_threads(max(1, (os.cpu_count() or 1) // max(1, local_world)))
        if self.world > 1:
            dist.init_process_group(backend="nccl" if cuda else "gloo")

    @property
    def main(self):
        return self.rank == 0

    def all_reduce(self, tensor):
        if self.world > 1:
            dist.all_reduce(tensor)
        return tensor

    def close(self):
        if self.world > 1:
            dist.barrier()
            dist.destroy_process_group()


DIST = None


def log(*args):
    if DIST is None or DIST.main:
        print(*args, flush=True)


# ----------------------------------------------------------------------------- the bundle


class Bundle:
    def __init__(self, path):
        self.zip = zipfile.ZipFile(path)
        self.recipe = json.loads(self.zip.read("recipe.json"))
        if self.recipe.get("format") != BUNDLE_FORMAT:
            sys.exit(f"{path}: recipe.json is not a Deep Art Studio training bundle.")
        self.graph = json.loads(self.zip.read("graph.json"))
        rows = list(csv.DictReader(io.StringIO(self.zip.read("labels.csv").decode("utf-8"))))
        self.classes = self.recipe["classes"]
        index = {c: i for i, c in enumerate(self.classes)}
        self.train = [(r["file"], index[r["class"]]) for r in rows if r["split"] == "train"]
        self.valid = [(r["file"], index[r["class"]]) for r in rows if r["split"] == "valid"]
        self.start = self.read_checkpoint("start")

    def read_checkpoint(self, folder):
        header = json.loads(self.zip.read(f"{folder}/record.json"))
        data = self.zip.read(f"{folder}/tensors.bin")
        tensors = {}
        for t in header["tensors"]:
            if "#" in t["name"]:
                continue  # Adam moments: each stage starts a new optimizer, as fast.ai's freeze_to
            values = np.frombuffer(data, dtype="<f4", count=t["bytes"] // 4, offset=t["offset"])
            tensors[t["name"]] = values.reshape(t["shape"]).copy()
        return {"header": header, "tensors": tensors}

    def image(self, path):
        return self.zip.read(path)


def decode(data, size, crop):
    """The studio's decode: the largest square at `crop` (0-1 along the free side), scaled to size."""
    image = Image.open(io.BytesIO(data)).convert("RGB")
    w, h = image.size
    side = min(w, h)
    sx, sy = crop[0] * (w - side), crop[1] * (h - side)
    if side != size or w != h:
        image = image.resize((size, size), Image.BILINEAR, box=(sx, sy, sx + side, sy + side))
    return np.asarray(image, dtype=np.uint8)


# ----------------------------------------------------------------------------- fast.ai's transforms


def draw_augment(rng, spec):
    """One draw of get_transforms() as the studio does it (recipe.json's augmentation)."""
    uniform = lambda a, b: a + (b - a) * rng.random()
    happens = lambda p: rng.random() < p
    logit = lambda p: math.log(p / (1 - p))
    warp = spec["warp"]["magnitude"]
    return {
        "flip": happens(spec["flip"]["p"]),
        "rotate": uniform(-spec["rotate"]["degrees"], spec["rotate"]["degrees"])
        if happens(spec["rotate"]["p"])
        else 0.0,
        "zoom": uniform(1, spec["zoom"]["max"]) if happens(spec["zoom"]["p"]) else 1.0,
        "center": (rng.random(), rng.random()),
        "warp": [uniform(-warp, warp) for _ in range(4)] if happens(spec["warp"]["p"]) else [0.0] * 4,
        "brightness": logit(uniform(*spec["brightness"]["change"])) if happens(spec["brightness"]["p"]) else 0.0,
        "contrast": math.exp(uniform(math.log(spec["contrast"]["scale"][0]), math.log(spec["contrast"]["scale"][1])))
        if happens(spec["contrast"]["p"])
        else 1.0,
    }


def homography(src, dst):
    a, b = [], []
    for (x, y), (u, v) in zip(src, dst):
        a.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        b.append(u)
        a.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        b.append(v)
    h = np.linalg.solve(np.array(a, dtype=np.float64), np.array(b, dtype=np.float64))
    return np.array([[h[0], h[1], h[2]], [h[3], h[4], h[5]], [h[6], h[7], 1.0]])


def warp_matrix(d):
    """Output -> input coordinates in [-1, 1] (x, y): flip . rotate . zoom . perspective warp."""
    flip = np.diag([-1.0 if d["flip"] else 1.0, 1.0, 1.0])
    t = math.radians(d["rotate"])
    rotate = np.array([[math.cos(t), -math.sin(t), 0], [math.sin(t), math.cos(t), 0], [0, 0, 1]])
    s = 1 / d["zoom"]
    cx, cy = (1 - s) * (2 * d["center"][0] - 1), (1 - s) * (2 * d["center"][1] - 1)
    zoom = np.array([[s, 0, cx], [0, s, cy], [0, 0, 1]])
    m0, m1, m2, m3 = d["warp"]
    warp = np.eye(3)
    if any(d["warp"]):
        targets = [(-1, -1), (-1, 1), (1, -1), (1, 1)]
        sources = [(-1 - m0, -1 - m1), (-1 - m2, 1 + m3), (1 + m1, -1 - m0), (1 + m3, 1 + m2)]
        warp = homography(targets, sources)
    return flip @ rotate @ zoom @ warp


def augment(x, draws):
    """x: [B, 3, S, S] RGB 0-255. One projective resampling (reflection) + lighting in logit space."""
    b, _, size, _ = x.shape
    lin = torch.linspace(-1, 1, size, device=x.device, dtype=torch.float64)
    gy, gx = torch.meshgrid(lin, lin, indexing="ij")
    points = torch.stack([gx, gy, torch.ones_like(gx)], -1).reshape(-1, 3)  # [S*S, 3]
    mats = torch.tensor(np.stack([warp_matrix(d) for d in draws]), device=x.device)  # [B, 3, 3]
    mapped = torch.einsum("bij,pj->bpi", mats, points)
    grid = (mapped[..., :2] / mapped[..., 2:]).reshape(b, size, size, 2).to(x.dtype)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=True)
    p = (x / 255).clamp(1e-4, 1 - 1e-4)
    contrast = torch.tensor([d["contrast"] for d in draws], device=x.device, dtype=x.dtype).view(b, 1, 1, 1)
    brightness = torch.tensor([d["brightness"] for d in draws], device=x.device, dtype=x.dtype).view(b, 1, 1, 1)
    return torch.sigmoid(torch.log(p / (1 - p)) * contrast + brightness) * 255


# ----------------------------------------------------------------------------- BatchNorm over the whole batch


class SyncBatchNormFn(torch.autograd.Function):
    """Batch statistics over every process's share of the batch (gloo or NCCL), as the studio's
    whole-batch BatchNorm and one big batch compute them. Returns y, mean, biased variance, count."""

    @staticmethod
    def forward(ctx, x, weight, bias, eps):
        dims = [0] + list(range(2, x.dim()))
        count = torch.tensor([x.numel() / x.shape[1]], dtype=x.dtype, device=x.device)
        stats = torch.cat([x.sum(dims), (x * x).sum(dims), count])
        DIST.all_reduce(stats)
        c = x.shape[1]
        n = stats[-1]
        mean = stats[:c] / n
        var = (stats[c : 2 * c] / n - mean * mean).clamp_min(0)
        invstd = torch.rsqrt(var + eps)
        shape = [1, c] + [1] * (x.dim() - 2)
        xhat = (x - mean.view(shape)) * invstd.view(shape)
        ctx.save_for_backward(xhat, weight, invstd)
        ctx.mark_non_differentiable(mean, var, n)
        ctx.dims = dims
        ctx.n = n
        return xhat * weight.view(shape) + bias.view(shape), mean, var, n

    @staticmethod
    def backward(ctx, dy, _dmean, _dvar, _dn):
        xhat, weight, invstd = ctx.saved_tensors
        dims = ctx.dims
        c = xhat.shape[1]
        shape = [1, c] + [1] * (xhat.dim() - 2)
        local_dy = dy.sum(dims)
        local_dyx = (dy * xhat).sum(dims)
        sums = DIST.all_reduce(torch.cat([local_dy, local_dyx]))
        mean_dy = (sums[:c] / ctx.n).view(shape)
        mean_dyx = (sums[c:] / ctx.n).view(shape)
        dx = (weight * invstd).view(shape) * (dy - mean_dy - xhat * mean_dyx)
        # Parameter gradients stay local: DistributedDataParallel sums them over processes.
        return dx, local_dyx, local_dy, None


def batch_norm(x, bn, eps, training, momentum):
    """bn: dict of weight, bias, running_mean, running_var (PyTorch's running-average convention)."""
    if not training:
        return F.batch_norm(x, bn["running_mean"], bn["running_var"], bn["weight"], bn["bias"], False, 0.0, eps)
    if DIST.world == 1:
        return F.batch_norm(x, bn["running_mean"], bn["running_var"], bn["weight"], bn["bias"], True, momentum, eps)
    y, mean, var, n = SyncBatchNormFn.apply(x, bn["weight"], bn["bias"], eps)
    with torch.no_grad():
        bn["running_mean"].mul_(1 - momentum).add_(mean.detach() * momentum)
        bn["running_var"].mul_(1 - momentum).add_(var.detach() * (n / max(n - 1, 1)) * momentum)
    return y


# ----------------------------------------------------------------------------- the network


def same_padding(size, kernel, stride):
    """TensorFlow's 'same': the extra pixel goes after (bottom / right)."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


class StudioNet(torch.nn.Module):
    """The studio's graph (graph.json: the Keras ResNet50 body, conv biases folded into BatchNorm)
    plus fast.ai's head. Weights keep the studio's names; conv kernels are held as OIHW."""

    def __init__(self, graph, tensors, classes, momentum):
        super().__init__()
        self.nodes = graph["nodes"]
        self.head_spec = graph["head"]
        self.momentum = momentum
        self.collect = None  # while measure_statistics runs: body BatchNorm name -> (Σ n·mean, Σ n·E[x²], n)
        self.params = torch.nn.ParameterDict()
        self.group_of = {}
        self.bns = {}
        self.is_conv = {}
        key = lambda name: name.replace("/", "__").replace(".", "_")

        def param(name, value, group, conv=False):
            p = torch.nn.Parameter(torch.from_numpy(value))
            self.params[key(name)] = p
            self.group_of[name] = group
            self.is_conv[name] = conv
            return p

        def buffer(name, value):
            self.register_buffer(key(name), torch.from_numpy(value))
            return key(name)

        def bn_params(prefix, group):
            return {
                "weight": param(f"{prefix}/gamma", tensors[f"{prefix}/gamma"], group),
                "bias": param(f"{prefix}/beta", tensors[f"{prefix}/beta"], group),
                "running_mean": buffer(f"{prefix}/moving_mean", tensors[f"{prefix}/moving_mean"]),
                "running_var": buffer(f"{prefix}/moving_variance", tensors[f"{prefix}/moving_variance"]),
            }

        for node in self.nodes:
            name = f"body/{node['name']}"
            if node["op"] == "conv":
                hwio = tensors[f"{name}/kernel"]
                param(f"{name}/kernel", np.ascontiguousarray(hwio.transpose(3, 2, 0, 1)), node["group"], conv=True)
            elif node["op"] == "bn":
                self.bns[node["name"]] = bn_params(name, node["group"])
        self.bns["head/bn1"] = bn_params("head/bn1", 2)
        self.bns["head/bn2"] = bn_params("head/bn2", 2)
        for d in ("dense1", "dense2"):
            param(f"head/{d}/kernel", tensors[f"head/{d}/kernel"], 2)
            param(f"head/{d}/bias", tensors[f"head/{d}/bias"], 2)
        if self.params[key("head/dense2/bias")].shape[0] != classes:
            sys.exit("The starting weights do not match the bundle's classes.")
        self.key = key

    def p(self, name):
        return self.params[self.key(name)]

    def bn(self, x, name, eps):
        spec = self.bns[name]
        live = {
            "weight": spec["weight"],
            "bias": spec["bias"],
            "running_mean": getattr(self, spec["running_mean"]),
            "running_var": getattr(self, spec["running_var"]),
        }
        if self.collect is not None:
            if name.startswith("head/"):
                return batch_norm(x, live, eps, False, 0.0)  # the head as validation runs it, unchanged
            dims = [0] + list(range(2, x.dim()))
            n = x.numel() / x.shape[1]
            mean = x.mean(dims)
            var = ((x * x).mean(dims) - mean * mean).clamp_min(0)
            s, q, count = self.collect.get(name, (0.0, 0.0, 0.0))
            self.collect[name] = (s + mean * n, q + (var + mean * mean) * n, count + n)
            return F.batch_norm(x, None, None, live["weight"], live["bias"], True, 0.0, eps)
        return batch_norm(x, live, eps, self.training, self.momentum)

    def forward(self, x):
        """x: [B, 3, S, S] RGB 0-255 -> logits. Caffe preprocessing: BGR minus the ImageNet means."""
        mean = torch.tensor([103.939, 116.779, 123.68], device=x.device, dtype=x.dtype).view(1, 3, 1, 1)
        values = {}
        for node in self.nodes:
            op = node["op"]
            if op == "input":
                out = x.flip(1) - mean
            elif op == "pad":
                (top, bottom), (left, right) = node["padding"]
                out = F.pad(values[node["input"]], (left, right, top, bottom))
            elif op == "conv":
                inp = values[node["input"]]
                w = self.p(f"body/{node['name']}/kernel")
                sh, sw = node["strides"]
                padding = (0, 0)
                if node["padding"] == "same":
                    top, bottom = same_padding(inp.shape[2], w.shape[2], sh)
                    left, right = same_padding(inp.shape[3], w.shape[3], sw)
                    if top == bottom and left == right:
                        padding = (top, left)  # symmetric: inside the convolution, no padded copy
                    else:
                        inp = F.pad(inp, (left, right, top, bottom))
                out = F.conv2d(inp, w, stride=(sh, sw), padding=padding)
            elif op == "bn":
                out = self.bn(values[node["input"]], node["name"], node["epsilon"])
                if node["relu"]:
                    out = F.relu(out)
            elif op == "relu":
                out = F.relu(values[node["input"]])
            elif op == "add":
                out = values[node["inputs"][0]]
                for other in node["inputs"][1:]:
                    out = out + values[other]
            elif op == "maxpool":
                out = F.max_pool2d(values[node["input"]], node["size"], node["strides"])
            else:
                raise ValueError(f"unsupported node {op}")
            values[node["name"]] = out
        features = values[self.nodes[-1]["name"]]
        pooled = torch.cat([features.amax((2, 3)), features.mean((2, 3))], 1)
        eps = self.head_spec["epsilon"]
        drop1, drop2 = self.head_spec["dropout"]
        h = F.dropout(self.bn(pooled, "head/bn1", eps), drop1, self.training)
        h = F.relu(h @ self.p("head/dense1/kernel") + self.p("head/dense1/bias"))
        h = F.dropout(self.bn(h, "head/bn2", eps), drop2, self.training)
        return h @ self.p("head/dense2/kernel") + self.p("head/dense2/bias")

    def named_weights(self):
        """Every value under the studio's names and layouts (conv kernels back to HWIO)."""
        out = {}
        for name in self.group_of:
            value = self.p(name).detach().cpu().numpy()
            out[name] = value.transpose(2, 3, 1, 0) if self.is_conv[name] else value
        for spec_name, spec in self.bns.items():
            prefix = spec_name if spec_name.startswith("head/") else f"body/{spec_name}"
            out[f"{prefix}/moving_mean"] = getattr(self, spec["running_mean"]).detach().cpu().numpy()
            out[f"{prefix}/moving_variance"] = getattr(self, spec["running_var"]).detach().cpu().numpy()
        return out

    def freeze(self, frozen):
        """fast.ai's freeze(): the body's convolutions stop training; BatchNorm and the head train."""
        for name, group in self.group_of.items():
            self.p(name).requires_grad_(not (frozen and group < 2 and self.is_conv[name]))

    def groups(self):
        groups = [[], [], []]
        for name, group in self.group_of.items():
            if self.p(name).requires_grad:
                groups[group].append(self.p(name))
        return groups


@torch.no_grad()
def measure_statistics(net, batches):
    """The studio's epoch statistics (adaptBatchNorm): every body BatchNorm's running mean and variance set
    to its statistics over the images of `batches`, pooled (Σ n·mean, Σ n·E[x²]), each layer seeing the
    layers below it normalised on each batch's own statistics as in training; the variance unbiased.
    γ, β and the head are unchanged."""
    net.train()
    net.collect = {}
    try:
        for x in batches:
            net(x)
        for name, (s, q, n) in net.collect.items():
            mean = s / n
            var = (q / n - mean * mean).clamp_min(0) * (n / max(n - 1, 1))
            spec = net.bns[name]
            getattr(net, spec["running_mean"]).copy_(mean)
            getattr(net, spec["running_var"]).copy_(var)
    finally:
        net.collect = None


# ----------------------------------------------------------------------------- optimiser and schedule


class AdamW:
    """fast.ai v1's AdamW (true_wd, bn_wd): p <- p(1 - lr wd), then Adam with bias correction."""

    def __init__(self, groups, beta2, eps, wd):
        self.groups, self.beta2, self.eps, self.wd = groups, beta2, eps, wd
        self.state = {}
        self.step_count = 0

    @torch.no_grad()
    def step(self, lrs, beta1):
        self.step_count += 1
        bc1 = 1 - beta1**self.step_count
        bc2 = 1 - self.beta2**self.step_count
        for params, lr in zip(self.groups, lrs):
            for p in params:
                if p.grad is None:
                    continue
                m, v = self.state.setdefault(p, (torch.zeros_like(p), torch.zeros_like(p)))
                m.mul_(beta1).add_(p.grad, alpha=1 - beta1)
                v.mul_(self.beta2).addcmul_(p.grad, p.grad, value=1 - self.beta2)
                p.mul_(1 - lr * self.wd)
                p.addcdiv_(m, v.sqrt().div_(math.sqrt(bc2)).add_(self.eps), value=-lr / bc1)
                p.grad = None


def anneal_cos(start, end, pct):
    return end + (start - end) / 2 * (math.cos(math.pi * pct) + 1)


def one_cycle(i, total, peak, o):
    warm = math.floor(total * o["pctStart"])
    high, low = o["moms"]
    if i < warm:
        pct = i / warm
        return anneal_cos(peak / o["divFactor"], peak, pct), anneal_cos(high, low, pct)
    pct = (i - warm) / max(1, total - warm)
    return anneal_cos(peak, peak / o["finalDiv"], pct), anneal_cos(low, high, pct)


class SmoothLoss:
    def __init__(self, beta=0.98):
        self.beta, self.avg, self.n = beta, 0.0, 0

    def add(self, value):
        self.n += 1
        self.avg = self.beta * self.avg + (1 - self.beta) * value
        return self.value

    @property
    def value(self):
        return self.avg / (1 - self.beta**self.n) if self.n else float("nan")


# ----------------------------------------------------------------------------- training


def mix_inputs(x, mix):
    """fast.ai's mixup: each image blended with its partner, lambda >= 0.5 its own weight."""
    if mix is None:
        return x
    lam = torch.as_tensor(mix[0], dtype=x.dtype, device=x.device).view(-1, *([1] * (x.dim() - 1)))
    return lam * x + (1 - lam) * x[torch.as_tensor(mix[1], device=x.device)]


def per_image_loss(logits, y, mix, smoothing):
    """Cross-entropy per image with label smoothing; with mixup, lambda*CE(y) + (1-lambda)*CE(y_partner)."""
    ce = F.cross_entropy(logits, y, reduction="none", label_smoothing=smoothing)
    if mix is None:
        return ce
    lam = torch.as_tensor(mix[0], dtype=logits.dtype, device=logits.device)
    partner = y[torch.as_tensor(mix[1], device=logits.device)]
    return lam * ce + (1 - lam) * F.cross_entropy(logits, partner, reduction="none", label_smoothing=smoothing)


class Trainer:
    def __init__(self, bundle, args):
        self.bundle = bundle
        r = bundle.recipe
        self.recipe = r
        self.size = r["size"]
        self.batch = r["batchSize"]
        loss = r.get("loss", {})
        self.smoothing = float(loss.get("labelSmoothing", 0))  # fast.ai's LabelSmoothingCrossEntropy
        self.mixup = float(loss.get("mixup", 0))  # mixup's alpha; 0: off
        self.seed = args.seed if args.seed is not None else r["seed"]
        torch.manual_seed(self.seed * 1000 + DIST.rank)  # dropout masks differ per process
        self.rng = np.random.default_rng(self.seed)  # the same on every process: same batches
        self.net = StudioNet(bundle.graph, bundle.start["tensors"], len(bundle.classes), r["batchNorm"]["momentum"])
        self.net.to(DIST.device)
        self.pool = ThreadPoolExecutor(max_workers=args.loaders)
        self.prefetch = ThreadPoolExecutor(max_workers=1)  # the next batch, decoded during this step
        self.history = list(bundle.start["header"].get("history", []))
        self.stage = bundle.start["header"].get("stage", "frozen")

    def pixels(self, items, crops):
        """Decoded images as one uint8 array [n, S, S, 3] (decoding threads: Pillow releases the GIL)."""
        work = zip(items, crops)
        return np.stack(list(self.pool.map(lambda ic: decode(self.bundle.image(ic[0][0]), self.size, ic[1]), work)))

    def tensors(self, pixels, items):
        x = torch.from_numpy(pixels).to(DIST.device).permute(0, 3, 1, 2).float()
        y = torch.tensor([label for _, label in items], device=DIST.device)
        return x, y

    def load(self, items, crops):
        return self.tensors(self.pixels(items, crops), items)

    def plan_batch(self, train, order, b):
        """Batch b's share for this process: its decoding starts now (overlapping the step in flight).
        Every process draws the whole batch's randomness, in batch order, then takes its share."""
        batch = [train[k] for k in order[b * self.batch : (b + 1) * self.batch]]
        crops = [(self.rng.random(), self.rng.random()) for _ in batch]
        draws = [draw_augment(self.rng, self.recipe["augmentation"]) for _ in batch]
        shares = np.array_split(np.arange(len(batch)), DIST.world)
        share = shares[DIST.rank]
        mix = None
        if self.mixup > 0 and len(batch) > 1:
            # fast.ai's mixup, λ ~ Beta(α, α) kept >= 0.5; partners within this process's share.
            lam = self.rng.beta(self.mixup, self.mixup, len(batch))
            lams = np.maximum(lam, 1 - lam)
            perms = [self.rng.permutation(len(s)) for s in shares]
            mix = (lams[share], perms[DIST.rank])
        items = [batch[k] for k in share]
        future = self.prefetch.submit(self.pixels, items, [crops[k] for k in share])
        return future, items, [draws[k] for k in share], len(batch), mix

    def model(self):
        if DIST.world == 1:
            return self.net
        return torch.nn.parallel.DistributedDataParallel(
            self.net,
            device_ids=[DIST.local_rank] if DIST.device.type == "cuda" else None,
            broadcast_buffers=False,
        )

    def fit(self, stage):
        frozen = stage["frozen"]
        epochs = stage["epochs"]
        if epochs <= 0:
            return
        self.net.freeze(frozen)
        self.stage = "frozen" if frozen else "unfrozen"
        model = self.model()  # per stage: DDP registers the parameters that train
        o = self.recipe["adamw"]
        optimizer = AdamW(self.net.groups(), o["beta2"], o["epsilon"], o["weightDecay"])
        train = self.bundle.train
        per_epoch = len(train) // self.batch if len(train) >= self.batch else (1 if len(train) >= 2 else 0)
        if per_epoch == 0:
            sys.exit("Too few training images for one batch.")
        total = epochs * per_epoch
        run = {
            "id": max([0] + [row.get("run", {}).get("id", 0) for row in self.history]) + 1,
            "maxLr": stage["maxLr"],
            "size": self.size,
            "batchSize": self.batch,
            "frozenMode": "faithful",
        }
        log(f"\n{stage['name']}: fit_one_cycle({epochs}, {stage['maxLr']}) on {DIST.world} process(es), "
            f"{DIST.device.type}, batch {self.batch}, {per_epoch} batches per epoch")
        log(f"{'epoch':>5}  {'train_loss':>10}  {'valid_loss':>10}  {'error_rate':>10}  {'time':>6}")
        iteration = 0
        for epoch in range(epochs):
            t0 = time.time()
            self.net.train()
            smooth = SmoothLoss()
            order = self.rng.permutation(len(train))
            pending = self.plan_batch(train, order, 0)
            for b in range(per_epoch):
                future, items, draws, batch_size, mix = pending
                if b + 1 < per_epoch:
                    pending = self.plan_batch(train, order, b + 1)
                x, y = self.tensors(future.result(), items)
                x = mix_inputs(augment(x, draws), mix)
                # Sum over this share / whole batch; DDP averages over processes, hence x world.
                loss = per_image_loss(model(x), y, mix, self.smoothing).sum() * DIST.world / batch_size
                loss.backward()
                schedule = [one_cycle(iteration, total, peak, self.recipe["oneCycle"]) for peak in stage["groupLrs"]]
                optimizer.step([lr for lr, _ in schedule], schedule[0][1])
                batch_loss = DIST.all_reduce(loss.detach().clone()) / DIST.world
                smooth.add(float(batch_loss))
                iteration += 1
            self.settle_statistics()
            valid_loss, error, _ = self.evaluate()
            row = {
                "run": run,
                "stage": self.stage,
                "epoch": sum(1 for r in self.history if r["stage"] == self.stage),
                "trainLoss": smooth.value,
                "validLoss": valid_loss,
                "errorRate": error,
                "accuracy": 1 - error,
                "seconds": time.time() - t0,
                "tensors": 0,
                "bytes": 0,
            }
            self.history.append(row)
            log(f"{row['epoch']:>5}  {row['trainLoss']:>10.6f}  {valid_loss:>10.6f}  {error:>10.6f}  "
                f"{int(row['seconds']) // 60:02d}:{int(row['seconds']) % 60:02d}")

    def settle_statistics(self):
        """After an epoch, before its validation: the body's BatchNorm statistics re-measured on up to
        statisticsImages training images (the recipe's epochStatistics: 'plain', centre crops as validation
        sees them; 'augmented', with the training augmentation; 'off', fast.ai's running averages).
        Training computes the same either way (it normalises on batch statistics)."""
        bn = self.recipe["batchNorm"]
        mode = bn.get("epochStatistics", "off")
        if mode == "off":
            return
        train = self.bundle.train
        limit = bn.get("statisticsImages", 512)
        sample = train if len(train) <= limit else [train[(i * len(train)) // limit] for i in range(limit)]
        rng = np.random.default_rng(self.seed * 31 + 997) if mode == "augmented" else None

        def batches():
            for start in range(0, len(sample), self.batch):
                items = sample[start : start + self.batch]
                if rng is None:
                    yield self.load(items, [(0.5, 0.5)] * len(items))[0]
                else:
                    crops = [(rng.random(), rng.random()) for _ in items]
                    draws = [draw_augment(rng, self.recipe["augmentation"]) for _ in items]
                    yield augment(self.load(items, crops)[0], draws)

        measure_statistics(self.net, batches())

    @torch.no_grad()
    def evaluate(self):
        """Validation in eval mode, centre crops; each process takes a share, the results are summed."""
        self.net.eval()
        valid = self.bundle.valid
        mine = np.array_split(np.arange(len(valid)), DIST.world)[DIST.rank]
        probabilities = torch.zeros(len(valid), len(self.bundle.classes), dtype=torch.float64, device=DIST.device)
        for start in range(0, len(mine), self.batch):
            idx = mine[start : start + self.batch]
            items = [valid[k] for k in idx]
            x, _ = self.load(items, [(0.5, 0.5)] * len(items))
            probabilities[torch.as_tensor(idx, device=DIST.device)] = F.softmax(self.net(x), 1).double()
        DIST.all_reduce(probabilities)
        labels = torch.tensor([label for _, label in valid], device=DIST.device)
        actual = probabilities[torch.arange(len(valid), device=DIST.device), labels]
        loss = float(-actual.clamp_min(1e-12).log().mean()) if len(valid) else float("nan")
        error = float((probabilities.argmax(1) != labels).double().mean()) if len(valid) else float("nan")
        return loss, error, probabilities.cpu().numpy()


def write_model(path, trainer, name):
    r = trainer.recipe
    weights = trainer.net.named_weights()
    names = sorted(weights)
    last = trainer.history[-1] if trainer.history else None
    header = {
        "format": "deep-art-classifier/1",
        "architecture": "keras-resnet50 + fastai-head",
        "name": name,
        "classes": trainer.bundle.classes,
        "size": r["size"],
        "preprocessing": r["preprocessing"],
        "stage": trainer.stage,
        "seed": r["seed"],
        "errorRate": last["errorRate"] if last else None,
        "history": trainer.history,
        "config": {**r["config"], "frozenMode": "faithful"},
        "trainedWith": f"PyTorch {torch.__version__}, {DIST.world} process(es) on {DIST.device.type}",
        "weightsManifest": [
            {
                "paths": ["weights.bin"],
                "weights": [{"name": n, "shape": list(weights[n].shape), "dtype": "float32"} for n in names],
            }
        ],
    }
    data = json.dumps(header).encode("utf-8")
    with open(path, "wb") as f:
        f.write(MODEL_MAGIC + struct.pack("<I", len(data)) + data)
        for n in names:
            f.write(np.ascontiguousarray(weights[n], dtype="<f4").tobytes())


def main():
    global DIST
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("bundle", help="the .zip from the studio's Train tab (Train elsewhere)")
    parser.add_argument("--out", help="output folder (default: beside the bundle)")
    parser.add_argument("--epochs1", type=int, help="override the frozen stage's epochs")
    parser.add_argument("--epochs2", type=int, help="override the unfrozen stage's epochs")
    parser.add_argument("--seed", type=int, help="override the seed of shuffling, augmentation, dropout")
    parser.add_argument("--device", choices=["auto", "cpu"], default="auto")
    parser.add_argument("--loaders", type=int, default=4, help="image decoding threads per process")
    args = parser.parse_args()
    DIST = Dist(args.device)
    bundle = Bundle(args.bundle)
    out = args.out or os.path.dirname(os.path.abspath(args.bundle))
    if DIST.main:
        os.makedirs(out, exist_ok=True)
    stages = bundle.recipe["stages"]
    for stage, override in zip(stages, (args.epochs1, args.epochs2)):
        if override is not None:
            stage["epochs"] = override
    log(f"Deep Art Studio recipe: {len(bundle.classes)} classes, {len(bundle.train)} train / "
        f"{len(bundle.valid)} valid images, {bundle.recipe['size']} px, PyTorch {torch.__version__}")
    trainer = Trainer(bundle, args)
    started = time.time()
    _, start_error, start_probabilities = trainer.evaluate()
    log(f"starting weights: error_rate {start_error:.6f}")
    for stage in stages:
        trainer.fit(stage)
    seconds = time.time() - started
    _, error, probabilities = trainer.evaluate()
    if DIST.main:
        name = bundle.recipe.get("outputName", "trained-with-pytorch")
        model_path = os.path.join(out, f"{name}.artmodel")
        write_model(model_path, trainer, name)
        with open(os.path.join(out, "predictions.json"), "w") as f:
            json.dump(
                {
                    "classes": bundle.classes,
                    "files": [file for file, _ in bundle.valid],
                    "labels": [label for _, label in bundle.valid],
                    "start": start_probabilities.tolist(),
                    "final": probabilities.tolist(),
                    "errorRate": error,
                    "seconds": seconds,
                    "processes": DIST.world,
                    "device": DIST.device.type,
                    "history": trainer.history,
                },
                f,
            )
        log(f"\nfinal error_rate {error:.6f} in {seconds:.0f} s; wrote {model_path}")
        log("Import it in the studio: Predict tab -> Import .artmodel (or the Train tab's Train elsewhere card).")
    DIST.close()


if __name__ == "__main__":
    main()
