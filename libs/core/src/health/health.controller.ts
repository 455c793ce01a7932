import { Controller, Get, HttpCode } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { ServiceUnavailableError } from '../errors/core.errors.js';
import { Public } from '../http/public.decorator.js';
import { HealthService, type ReadinessReport } from './health.service.js';

@ApiTags('health')
@Public()
// Orchestrator probes arrive every few seconds from the same address; never throttle them.
@SkipThrottle()
@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get('live')
  @HttpCode(200)
  @ApiOperation({ summary: 'Liveness: the process is serving requests' })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({ summary: 'Readiness: the database answers and every migration is applied' })
  async ready(): Promise<ReadinessReport['checks'] & { status: 'ok' }> {
    const report = await this.health.readiness();
    if (!report.ready)
      throw new ServiceUnavailableError('The service is not ready.', { checks: report.checks });
    return { status: 'ok', ...report.checks };
  }
}
