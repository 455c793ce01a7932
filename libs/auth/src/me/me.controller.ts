import { CurrentPrincipal, RequireScopes, type Principal } from '@orderops/access';
import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { OperatorsOnlyError } from '../auth.errors.js';
import { OperatorsService } from '../operators/operators.service.js';
import { auditActorOf } from '../principal.js';
import { ChangePasswordDto } from './change-password.dto.js';
import { MeResponse } from './me.response.js';

/**
 * Who am I: any valid token, whatever its scopes, learns what the service took it for.
 * Answered from the verified token alone (no lookup), so it says nothing the token does not.
 */
@ApiTags('oauth')
@Controller('me')
export class MeController {
  constructor(private readonly operators: OperatorsService) {}

  @Get()
  @RequireScopes()
  @ApiOperation({ summary: 'The calling principal: id, kind, client and scopes' })
  @ApiOkResponse({ type: MeResponse })
  me(@CurrentPrincipal() principal: Principal): MeResponse {
    return Object.assign(new MeResponse(), {
      id: principal.id,
      kind: principal.type,
      clientId: principal.clientId,
      scopes: [...principal.scopes],
    });
  }

  /**
   * Any operator token, whatever its scopes: changing one's own password needs no admin,
   * and the current password is what proves it is the operator at the keyboard.
   */
  @Post('password')
  @HttpCode(204)
  @RequireScopes()
  @ApiOperation({
    summary: "Change the calling operator's password; voids all its tokens and sessions (sign in again)",
  })
  @ApiNoContentResponse({ description: 'Changed; every token of the operator, this one included, is void' })
  @ApiBadRequestResponse({
    description:
      'wrong-current-password (counts like a failed sign-in), weak-password (newPassword fails the policy)',
  })
  @ApiForbiddenResponse({ description: 'operators-only: a client token has no password to change' })
  async changePassword(
    @CurrentPrincipal() principal: Principal,
    @Body() body: ChangePasswordDto,
  ): Promise<void> {
    if (principal.type !== 'operator') throw new OperatorsOnlyError();
    await this.operators.changeOwnPassword(
      principal.id,
      body.currentPassword,
      body.newPassword,
      auditActorOf(principal),
    );
  }
}
