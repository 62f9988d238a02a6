"""Two moons with one hidden layer of 4 ReLU units: 2 -> 4 ReLU -> 1 sigmoid.

    python train_moons.py [--seed 0] [--epochs 3000] [--lr 1.0] [--restarts 10] [--show]

Full-batch gradient descent with binary cross-entropy on make_moons(noise=0.2). This small
network lands in a poor basin for about half of all initialisations, so it is trained from
--restarts initialisations and the run with the lowest training loss is kept.
Writes outputs/moons.png; the last line printed is the test accuracy.
"""

from __future__ import annotations

import sys

from scratchnn._scripts import common_parser, positive_int, pyplot, write_figure
from scratchnn.experiments import run_moons
from scratchnn.training import TrainingDivergedError


def main(argv: list[str] | None = None) -> int:
    parser = common_parser(__doc__.splitlines()[0], epochs=3000, lr=1.0, n_samples=1000,
                           noise=0.2)
    parser.add_argument("--restarts", type=positive_int, default=10,
                        help="random initialisations to train from; the best is kept (default 10)")
    args = parser.parse_args(argv)
    try:
        result = run_moons(n_samples=args.n_samples, noise=args.noise, seed=args.seed,
                           epochs=args.epochs, lr=args.lr, restarts=args.restarts)
    except (ValueError, TrainingDivergedError) as error:
        print(f"{parser.prog}: error: {error}", file=sys.stderr)
        return 1

    print(f"network: {result.model.n_inputs} -> 4 ReLU -> 1 sigmoid, full-batch gradient "
          f"descent, lr {args.lr}, {args.epochs} epochs")
    print(f"restarts: {result.notes[0]}")
    print(f"train accuracy {result.train_accuracy:.4f}, final loss {result.history.loss[-1]:.4f}")

    from scratchnn import plotting

    plt = pyplot(args.show)

    fig, axes = plt.subplots(1, 2, figsize=(12, 5), width_ratios=[1.2, 1])
    plotting.plot_decision_boundary(
        result.predict_proba, result.X_train, result.y_train, result.X_test, result.y_test,
        ax=axes[0], title="2 → 4 ReLU → 1 sigmoid on two moons")
    plotting.plot_history(result.history, ax=axes[1])
    axes[1].set_title(f"Training (best of {args.restarts} initialisations)")
    fig.tight_layout()
    if write_figure(fig, args.out, "moons.png", parser.prog) is None:
        return 1
    if args.show:
        plt.show()
    print(f"test accuracy: {result.test_accuracy:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
