"""PyTorch reference throughput for bench:speed: the same ResNet50 shape, the same generated inputs.

Usage: torch_speed.py SIZES BATCH STEPS [THREADS] [DEVICE]. THREADS sets torch's intra-op threads
(bench:speed passes the app's thread count: PyTorch's own default can be 1 on these machines); 0 keeps
the default. DEVICE (default cpu): e.g. cuda, for bench:gpu's yardstick on a GPU machine.
Prints one JSON object: {"torch": version, "threads": n, "defaultThreads": n, "results": [...]}.
"""
import json
import statistics
import sys
import time

import torch
import torchvision


def generated(n, size):
    b = torch.arange(n).view(n, 1, 1, 1)
    y = torch.arange(size).view(1, size, 1, 1)
    x = torch.arange(size).view(1, 1, size, 1)
    c = torch.arange(3).view(1, 1, 1, 3)
    pixels = (37 * b + 11 * y + 7 * x + 53 * c + ((x * y) % 17) * 5) % 256
    mean = torch.tensor([123.68, 116.779, 103.939])  # caffe means, RGB order
    return (pixels.float() - mean).permute(0, 3, 1, 2).contiguous()


def timed(step, warmup, steps, sync):
    for _ in range(warmup):
        step()
    sync()
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        step()
        sync()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main():
    sizes = [int(s) for s in sys.argv[1].split(",")]
    batch, steps = int(sys.argv[2]), int(sys.argv[3])
    default_threads = torch.get_num_threads()
    if len(sys.argv) > 4 and int(sys.argv[4]) > 0:
        torch.set_num_threads(int(sys.argv[4]))
    device = torch.device(sys.argv[5] if len(sys.argv) > 5 else "cpu")
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    torch.manual_seed(0)
    model = torchvision.models.resnet50(weights=None).to(device)
    results = []
    for size in sizes:
        x = generated(batch, size).to(device)
        labels = (torch.arange(batch) * 97 % 1000).to(device)
        model.eval()
        with torch.no_grad():
            seconds = timed(lambda: model(x), 1, steps, sync)
        results.append({"mode": "inference", "size": size, "batch": batch, "imagesPerSecond": batch / seconds})
        model.train()
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-5)

        def train_step():
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(x), labels)
            loss.backward()
            optimizer.step()

        seconds = timed(train_step, 1, steps, sync)
        results.append({"mode": "train", "size": size, "batch": batch, "imagesPerSecond": batch / seconds})
    print(
        json.dumps(
            {
                "torch": torch.__version__,
                "device": str(device) if device.type != "cuda" else torch.cuda.get_device_name(device),
                "threads": torch.get_num_threads(),
                "defaultThreads": default_threads,
                "results": results,
            }
        )
    )


if __name__ == "__main__":
    main()
