import { RequireScopes, Scope } from '@orderops/access';
import { Controller, Get, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { toAuditEventPageResponse, toAuditVerificationResponse } from './audit.mappers.js';
import { AuditService } from './audit.service.js';
import {
  AuditEventPageResponse,
  AuditVerificationResponse,
  ListAuditEventsQuery,
} from './dto/audit-events.dto.js';

const DEFAULT_LIMIT = 20;

@ApiTags('audit')
@RequireScopes(Scope.AuditRead)
@Controller('audit')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get('events')
  @ApiOperation({ summary: 'Audit events, newest first, with filters and cursor pagination' })
  @ApiOkResponse({ type: AuditEventPageResponse })
  @ApiBadRequestResponse({ description: 'Invalid filter or cursor' })
  async list(@Query() query: ListAuditEventsQuery): Promise<AuditEventPageResponse> {
    const page = await this.audit.list({
      action: query.action,
      actor: query.actor,
      targetId: query.targetId,
      from: query.from === undefined ? undefined : new Date(query.from),
      to: query.to === undefined ? undefined : new Date(query.to),
      cursor: query.cursor,
      limit: query.limit ?? DEFAULT_LIMIT,
    });
    return toAuditEventPageResponse(page);
  }

  @Get('verify')
  @ApiOperation({ summary: 'Verify the hash chain; names the first missing or altered event' })
  @ApiOkResponse({ type: AuditVerificationResponse })
  async verify(): Promise<AuditVerificationResponse> {
    return toAuditVerificationResponse(await this.audit.verify());
  }
}
