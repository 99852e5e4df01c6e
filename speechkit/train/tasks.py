"""The tasks `speechkit train` knows, by the name a recipe config gives in ``task:``."""

from __future__ import annotations

from speechkit.train.asr import ASRTask
from speechkit.train.loop import TrainTask
from speechkit.train.mt import MTTask
from speechkit.train.s2st import S2STTask
from speechkit.train.slu import SLUTask
from speechkit.train.tts import TTSTask
from speechkit.train.vocoder import VocoderTask
from speechkit.train.vocos import VocosTask

TASKS: dict[str, type[TrainTask]] = {
    task.name: task for task in (SLUTask, ASRTask, TTSTask, VocoderTask, VocosTask, MTTask, S2STTask)
}
