//! Held-out games for evaluation: rendered by the simulator into a work folder on first use
//! (video, truth, calibration) and reused by later runs with the same settings.

use std::path::{Path, PathBuf};

use anyhow::Context;
use benchsight_sim::game::GameConfig;
use benchsight_sim::recording::{RenderJob, render_game};
use benchsight_sim::truth::GameTruth;

/// Which games to render.
#[derive(Debug, Clone, PartialEq)]
pub struct GameSet {
    pub seeds: (u64, u64),
    pub seconds: u32,
    pub profile: String,
    pub width: u32,
    pub height: u32,
}

/// One rendered game on disk.
#[derive(Debug, Clone)]
pub struct RenderedGame {
    pub seed: u64,
    pub video: PathBuf,
    pub calibration: PathBuf,
    pub truth: GameTruth,
}

impl GameSet {
    /// Renders the games missing from `work` and loads them all, in seed order.
    pub fn prepare(&self, work: &Path) -> anyhow::Result<Vec<RenderedGame>> {
        std::fs::create_dir_all(work).with_context(|| format!("creating {}", work.display()))?;
        (self.seeds.0..=self.seeds.1)
            .map(|seed| self.prepare_one(work, seed))
            .collect()
    }

    fn prepare_one(&self, work: &Path, seed: u64) -> anyhow::Result<RenderedGame> {
        let stem = format!(
            "{}-s{seed}-{}s-{}x{}",
            self.profile, self.seconds, self.width, self.height
        );
        let video = work.join(format!("{stem}.mp4"));
        let truth_path = work.join(format!("{stem}.truth.json"));
        let calibration = work.join(format!("{stem}.calibration.json"));
        let cached = GameTruth::read(&truth_path)
            .ok()
            .filter(|_| video.is_file() && calibration.is_file());
        let truth = match cached {
            Some(truth) => truth,
            None => {
                let job = RenderJob {
                    game: GameConfig::new(seed),
                    seconds: self.seconds,
                    profile: self.profile.clone(),
                    width: self.width,
                    height: self.height,
                };
                eprintln!("benchsight-eval: rendering {stem}");
                let summary = render_game(&job, &video, &truth_path, |_, _| {})
                    .with_context(|| format!("rendering game {seed}"))?;
                std::fs::write(&calibration, serde_json::to_vec(&summary.calibration)?)
                    .with_context(|| format!("writing {}", calibration.display()))?;
                GameTruth::read(&truth_path)?
            }
        };
        Ok(RenderedGame {
            seed,
            video,
            calibration,
            truth,
        })
    }
}
