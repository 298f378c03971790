"""Conditional tasks: image-to-image translation as pix2pix does it (Isola et al. 2017).

- ``nets``: the U-Net and encoder-decoder generators and the PatchGAN discriminators, with their receptive fields;
- ``metrics``: L1, PSNR, SSIM, FID of outputs against targets, and the classifier score (the digit analogue of the
  paper's FCN score).

The paired data sets are in ``benchmark.data.paired``, the loss in ``benchmark.losses.translation`` and the training
step in ``benchmark.module.pix2pix``, beside the other variants' own.
"""
