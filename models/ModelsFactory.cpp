// Placeholder until the trainer lands; replaced by the real factory.
#include "models/models.h"
