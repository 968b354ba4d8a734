# Prints PyTorch's OneCycleLR values (lr, momentum per step) for the schedule test.
# Run with Debian's interpreter: /usr/bin/python3 tests/golden/onecycle_reference.py > tests/golden/onecycle_reference.txt
import torch
lr, total, pct, div, final = 0.1, 50, 0.25, 25.0, 1e4
p = torch.nn.Parameter(torch.zeros(1))
opt = torch.optim.SGD([p], lr=lr, momentum=0.9, nesterov=True)
s = torch.optim.lr_scheduler.OneCycleLR(opt, lr, total_steps=total, pct_start=pct, div_factor=div, final_div_factor=final)
print(f"# {lr} {total} {pct} {div} {final}")
for step in range(total):
    g = opt.param_groups[0]
    print(f"{step} {g['lr']!r} {g['momentum']!r}")
    opt.step(); s.step()
