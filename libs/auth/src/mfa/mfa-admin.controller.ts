import { CurrentPrincipal, RequireScopes, Scope, type Principal } from '@orderops/access';
import { Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '@orderops/core';
import { auditActorOf } from '../principal.js';
import { MfaStatusResponse } from './mfa.dto.js';
import { MfaService } from './mfa.service.js';

/**
 * The admin's side of an operator's second factor: what state it is in, and the reset for an
 * operator who lost the device. Enrolment and verification belong to the sign-in flow
 * (MfaService), never to an admin, who must not see another operator's secret.
 */
@ApiTags('admin')
@RequireScopes(Scope.Admin)
@Controller('admin/operators')
export class MfaAdminController {
  constructor(private readonly mfa: MfaService) {}

  @Get(':id/mfa')
  @ApiOperation({ summary: "An operator's second factor: state, recovery codes left, lock (no secret)" })
  @ApiOkResponse({ type: MfaStatusResponse })
  @ApiProblems({ 404: 'No operator has this id' })
  async status(@Param('id', new ParseUUIDPipe({ version: '4' })) id: string): Promise<MfaStatusResponse> {
    return this.mfa.status(id, { requireOperator: true });
  }

  @Delete(':id/mfa')
  @HttpCode(204)
  @ApiOperation({
    summary:
      "Reset an operator's second factor and recovery codes (audited); its next privileged sign-in enrols again",
  })
  @ApiNoContentResponse({ description: 'Reset (also when the operator had none)' })
  @ApiProblems({ 404: 'No operator has this id' })
  async reset(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new ParseUUIDPipe({ version: '4' })) id: string,
  ): Promise<void> {
    await this.mfa.reset(id, auditActorOf(principal));
  }
}
