import { Public } from '@orderops/access';
import { Controller, Get, HttpCode } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  HealthService,
  ServiceUnavailableError,
  SkipRateLimit,
  Untraced,
  type ReadinessReport,
} from '@orderops/core';

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  // Orchestrator probes arrive every few seconds from the same address; never limit them,
  // and never trace them (README, Traces).
  @Get('live')
  @SkipRateLimit()
  @Untraced()
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Liveness: the process serves requests and its database pool is not wedged (a database that is down fails readiness only)',
  })
  live(): { status: 'ok' } {
    const report = this.health.liveness();
    if (!report.live)
      throw new ServiceUnavailableError('The service is not live: its database pool is wedged.', {
        checks: report.checks,
      });
    return { status: 'ok' };
  }

  @Get('ready')
  @SkipRateLimit()
  @Untraced()
  @ApiOperation({ summary: 'Readiness: the database answers and every migration is applied' })
  async ready(): Promise<ReadinessReport['checks'] & { status: 'ok' }> {
    const report = await this.health.readiness();
    if (!report.ready)
      throw new ServiceUnavailableError('The service is not ready.', { checks: report.checks });
    return { status: 'ok', ...report.checks };
  }
}
