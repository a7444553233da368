__version__ = "0.1.0"

# torchao (imported by diffusers when installed) logs that its CUDA kernels cannot load on a CPU-only machine, and
# torch logs deprecation notices for torchao's enums; neither concerns qdit, so keep them off the console.
import logging as _logging
for _name in ('torchao', 'torch.utils._pytree', 'diffusers.quantizers.torchao.torchao_quantizer'):
    _logging.getLogger(_name).setLevel(_logging.ERROR)
