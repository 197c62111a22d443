/*
 * engine_int.h - what the library's own modules need of the engine (not public).
 */
#ifndef POSTURE_ENGINE_INT_H
#define POSTURE_ENGINE_INT_H

#include "eval/eval.h"
#include "posture.h"

/*
 * An evaluation context on the engine's resolver, PSL and cache, for work outside
 * posture_evaluate() such as verifying one message. timeout_ms 0: the engine's
 * evaluation timeout. The caller frees it with eval_ctx_free(). NULL on OOM.
 */
struct eval_ctx *engine_eval_ctx(struct posture_engine *eng, const char *domain,
				 unsigned max_queries, unsigned timeout_ms);

#endif
